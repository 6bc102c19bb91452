// One libFuzzer binary per target: ORCH_FUZZ_TARGET names the entry point at compile time.
#include "fuzz/fuzz_targets.hpp"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (const auto& t : orch::fuzz::targets()) {
        if (std::strcmp(t.name, ORCH_FUZZ_TARGET) == 0) {
            t.run(data, size);
        }
    }
    return 0;
}
