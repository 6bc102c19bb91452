#include "fuzz/fuzz_targets.hpp"

#include <orch/config/providers.hpp>
#include <orch/config/suite.hpp>
#include <orch/core/error.hpp>
#include <orch/eval/judge.hpp>
#include <orch/provider/protocol.hpp>
#include <orch/provider/sse.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace orch::fuzz {

namespace {

std::string scratch_dir() {
    static std::string dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("orch-fuzz-" + std::to_string(getpid()));
        std::filesystem::create_directories(d);
        return d.string();
    }();
    return dir;
}

void write(const std::string& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

} // namespace

void providers_toml(const std::uint8_t* data, std::size_t size) {
    std::string path = scratch_dir() + "/providers.toml";
    write(path, std::string_view(reinterpret_cast<const char*>(data), size));
    try {
        auto cfg = config::load_providers(path);
        for (const auto& m : cfg.models) {
            (void)m.cost_usd(1000, 1000, 10);
        }
    } catch (const Error&) {
        // a located config error is the right answer to bad input
    }
}

void suite_and_dataset(const std::uint8_t* data, std::size_t size) {
    // The input is "suite TOML \0 dataset rows"; the dataset is tried as JSONL and as CSV.
    std::string_view all(reinterpret_cast<const char*>(data), size);
    size_t cut = all.find('\0');
    std::string_view suite = all.substr(0, cut);
    std::string_view rows = cut == std::string_view::npos ? std::string_view() : all.substr(cut + 1);
    std::string dir = scratch_dir();
    write(dir + "/data.jsonl", rows);
    write(dir + "/data.csv", rows);
    for (const char* dataset : {"data.jsonl", "data.csv"}) {
        std::string text = "dataset = \"" + std::string(dataset) + "\"\n" + std::string(suite);
        write(dir + "/s.toml", text);
        try {
            auto s = config::load_suite(dir + "/s.toml");
            config::Problems problems;
            config::DatasetReader reader(s);
            config::Task task;
            int n = 0;
            while (reader.next(task, problems) && n++ < 1000) {
            }
        } catch (const Error&) {
        }
    }
}

void sse_stream(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto openai = provider::make_openai_protocol();
    auto anthropic = provider::make_anthropic_protocol();
    for (const auto* protocol : {openai.get(), anthropic.get()}) {
        auto decoder = protocol->stream_decoder();
        provider::SseParser parser;
        // Feed in uneven slices: framing must not depend on where the network splits bytes.
        size_t pos = 0, step = 1;
        while (pos < bytes.size()) {
            size_t n = std::min(step, bytes.size() - pos);
            for (const auto& ev : parser.feed(bytes.substr(pos, n))) {
                decoder->on_event(ev);
            }
            pos += n;
            step = step * 3 % 17 + 1;
        }
        (void)decoder->reply();
    }
}

void provider_reply(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    (void)provider::make_openai_protocol()->parse(body);
    (void)provider::make_anthropic_protocol()->parse(body);
    (void)provider::is_context_length_error(body);
    eval::JudgeSpec spec;
    spec.kind = "judge_rubric";
    (void)eval::read_score_reply(body, spec);
    (void)eval::read_pairwise_reply(body);
}

const std::vector<Target>& targets() {
    static const std::vector<Target> all = {{"providers_toml", providers_toml},
                                            {"suite_and_dataset", suite_and_dataset},
                                            {"sse_stream", sse_stream},
                                            {"provider_reply", provider_reply}};
    return all;
}

} // namespace orch::fuzz
