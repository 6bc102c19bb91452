#include <orch/core/error.hpp>
#include <orch/store/store.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

namespace orch::store {

namespace {

// Migration N takes the schema from version N-1 to N. Never edit a released one: append.
const char* const k_migrations[] = {
    // 1: runs and results
    R"sql(
CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    status         TEXT NOT NULL,
    command        TEXT NOT NULL,
    orch_version   TEXT NOT NULL,
    git_rev        TEXT,
    providers_hash TEXT NOT NULL,
    seed           INTEGER NOT NULL,
    repeats        INTEGER NOT NULL,
    targets        TEXT NOT NULL,
    suites         TEXT NOT NULL,
    simulated      INTEGER NOT NULL
);
CREATE TABLE results (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES runs(id),
    suite            TEXT NOT NULL,
    suite_hash       TEXT NOT NULL,
    task_id          TEXT NOT NULL,
    task_type        TEXT NOT NULL,
    target           TEXT NOT NULL,
    model            TEXT,
    repeat           INTEGER NOT NULL,
    status           TEXT NOT NULL,
    score            REAL,
    passed           INTEGER,
    threshold        REAL NOT NULL,
    input_tokens     INTEGER NOT NULL,
    output_tokens    INTEGER NOT NULL,
    tokens_estimated INTEGER NOT NULL,
    cost_usd         REAL NOT NULL,
    latency_ms       REAL NOT NULL,
    ttft_ms          REAL,
    retries          INTEGER NOT NULL,
    output           TEXT,
    evaluations      TEXT NOT NULL,
    error_kind       TEXT,
    error            TEXT,
    simulated        INTEGER NOT NULL,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
    UNIQUE (run_id, suite, task_id, target, repeat)
);
CREATE INDEX results_by_run ON results(run_id, target);
)sql",
};

} // namespace

std::string work_key(const std::string& suite, const std::string& task_id, const std::string& target,
                     std::int64_t repeat) {
    return fmt::format("{}\x1f{}\x1f{}\x1f{}", suite, task_id, target, repeat);
}

struct Store::Impl {
    explicit Impl(const std::string& path)
        : db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX) {}
    SQLite::Database db;
};

Store::Store(const std::string& path) {
    try {
        m_impl = std::make_unique<Impl>(path);
        auto& db = m_impl->db;
        db.setBusyTimeout(5000);
        db.exec("PRAGMA journal_mode=WAL");
        db.exec("PRAGMA synchronous=NORMAL");
        db.exec("PRAGMA foreign_keys=ON");
        int version = db.execAndGet("PRAGMA user_version").getInt();
        constexpr int latest = static_cast<int>(std::size(k_migrations));
        if (version > latest) {
            throw Error(ErrorKind::config,
                        fmt::format("{}: database schema version {} is newer than this orch "
                                    "understands ({}); upgrade orch",
                                    path, version, latest));
        }
        for (int v = version; v < latest; ++v) {
            SQLite::Transaction tx(db);
            db.exec(k_migrations[v]);
            db.exec(fmt::format("PRAGMA user_version = {}", v + 1));
            tx.commit();
        }
    } catch (const SQLite::Exception& e) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot open the results database: {}", path, e.what()));
    }
}

Store::~Store() = default;

int Store::schema_version() { return m_impl->db.execAndGet("PRAGMA user_version").getInt(); }

std::int64_t Store::create_run(const RunInfo& r) {
    SQLite::Statement st(m_impl->db,
                         "INSERT INTO runs (started_at, status, command, orch_version, git_rev, "
                         "providers_hash, seed, repeats, targets, suites, simulated) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    st.bind(1, r.started_at);
    st.bind(2, r.status);
    st.bind(3, r.command);
    st.bind(4, r.orch_version);
    st.bind(5, r.git_rev);
    st.bind(6, r.providers_hash);
    st.bind(7, static_cast<std::int64_t>(r.seed));
    st.bind(8, r.repeats);
    st.bind(9, r.targets.dump());
    st.bind(10, r.suites.dump());
    st.bind(11, r.simulated ? 1 : 0);
    st.exec();
    return m_impl->db.getLastInsertRowid();
}

void Store::set_run_status(std::int64_t run_id, const std::string& status, bool finished) {
    SQLite::Statement st(m_impl->db,
                         finished ? "UPDATE runs SET status = ?, finished_at = "
                                    "strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?"
                                  : "UPDATE runs SET status = ?, finished_at = NULL WHERE id = ?");
    st.bind(1, status);
    st.bind(2, run_id);
    st.exec();
}

void Store::add_results(const std::vector<ResultRow>& rows) {
    if (rows.empty()) {
        return;
    }
    auto& db = m_impl->db;
    SQLite::Transaction tx(db);
    SQLite::Statement st(db,
                         "INSERT OR IGNORE INTO results (run_id, suite, suite_hash, task_id, "
                         "task_type, target, model, repeat, status, score, passed, threshold, "
                         "input_tokens, output_tokens, tokens_estimated, cost_usd, latency_ms, "
                         "ttft_ms, retries, output, evaluations, error_kind, error, simulated) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& r : rows) {
        st.reset();
        st.clearBindings();
        st.bind(1, r.run_id);
        st.bind(2, r.suite);
        st.bind(3, r.suite_hash);
        st.bind(4, r.task_id);
        st.bind(5, r.task_type);
        st.bind(6, r.target);
        st.bind(7, r.model);
        st.bind(8, r.repeat);
        st.bind(9, r.status);
        if (r.score) {
            st.bind(10, *r.score);
        }
        if (r.passed) {
            st.bind(11, *r.passed ? 1 : 0);
        }
        st.bind(12, r.threshold);
        st.bind(13, r.input_tokens);
        st.bind(14, r.output_tokens);
        st.bind(15, r.tokens_estimated ? 1 : 0);
        st.bind(16, r.cost_usd);
        st.bind(17, r.latency_ms);
        if (r.ttft_ms) {
            st.bind(18, *r.ttft_ms);
        }
        st.bind(19, r.retries);
        st.bind(20, r.output);
        st.bind(21, r.evaluations.dump());
        if (!r.error_kind.empty()) {
            st.bind(22, r.error_kind);
        }
        if (!r.error.empty()) {
            st.bind(23, r.error);
        }
        st.bind(24, r.simulated ? 1 : 0);
        st.exec();
    }
    tx.commit();
}

namespace {
RunInfo read_run(SQLite::Statement& st) {
    RunInfo r;
    r.id = st.getColumn(0).getInt64();
    r.started_at = st.getColumn(1).getString();
    r.finished_at = st.getColumn(2).getString();
    r.status = st.getColumn(3).getString();
    r.command = st.getColumn(4).getString();
    r.orch_version = st.getColumn(5).getString();
    r.git_rev = st.getColumn(6).getString();
    r.providers_hash = st.getColumn(7).getString();
    r.seed = static_cast<std::uint64_t>(st.getColumn(8).getInt64());
    r.repeats = st.getColumn(9).getInt64();
    r.targets = nlohmann::json::parse(st.getColumn(10).getString());
    r.suites = nlohmann::json::parse(st.getColumn(11).getString());
    r.simulated = st.getColumn(12).getInt() != 0;
    return r;
}
constexpr const char* k_run_columns = "id, started_at, finished_at, status, command, orch_version, "
                                      "git_rev, providers_hash, seed, repeats, targets, suites, "
                                      "simulated";
} // namespace

std::optional<RunInfo> Store::run(std::int64_t run_id) {
    SQLite::Statement st(m_impl->db, fmt::format("SELECT {} FROM runs WHERE id = ?", k_run_columns));
    st.bind(1, run_id);
    if (st.executeStep()) {
        return read_run(st);
    }
    return std::nullopt;
}

std::vector<RunInfo> Store::runs() {
    SQLite::Statement st(m_impl->db, fmt::format("SELECT {} FROM runs ORDER BY id", k_run_columns));
    std::vector<RunInfo> out;
    while (st.executeStep()) {
        out.push_back(read_run(st));
    }
    return out;
}

std::optional<std::int64_t> Store::latest_run_id() {
    SQLite::Statement st(m_impl->db, "SELECT max(id) FROM runs");
    if (st.executeStep() && !st.getColumn(0).isNull()) {
        return st.getColumn(0).getInt64();
    }
    return std::nullopt;
}

std::unordered_set<std::string> Store::done_keys(std::int64_t run_id) {
    SQLite::Statement st(m_impl->db,
                         "SELECT suite, task_id, target, repeat FROM results WHERE run_id = ?");
    st.bind(1, run_id);
    std::unordered_set<std::string> out;
    while (st.executeStep()) {
        out.insert(work_key(st.getColumn(0).getString(), st.getColumn(1).getString(),
                            st.getColumn(2).getString(), st.getColumn(3).getInt64()));
    }
    return out;
}

std::int64_t Store::count_results(std::int64_t run_id) {
    SQLite::Statement st(m_impl->db, "SELECT count(*) FROM results WHERE run_id = ?");
    st.bind(1, run_id);
    st.executeStep();
    return st.getColumn(0).getInt64();
}

void Store::for_each_result(std::int64_t run_id, const std::function<void(const ResultRow&)>& fn) {
    SQLite::Statement st(m_impl->db,
                         "SELECT run_id, suite, suite_hash, task_id, task_type, target, model, "
                         "repeat, status, score, passed, threshold, input_tokens, output_tokens, "
                         "tokens_estimated, cost_usd, latency_ms, ttft_ms, retries, output, "
                         "evaluations, error_kind, error, simulated FROM results WHERE run_id = ? "
                         "ORDER BY target, suite, task_id, repeat");
    st.bind(1, run_id);
    ResultRow r;
    while (st.executeStep()) {
        r.run_id = st.getColumn(0).getInt64();
        r.suite = st.getColumn(1).getString();
        r.suite_hash = st.getColumn(2).getString();
        r.task_id = st.getColumn(3).getString();
        r.task_type = st.getColumn(4).getString();
        r.target = st.getColumn(5).getString();
        r.model = st.getColumn(6).getString();
        r.repeat = st.getColumn(7).getInt64();
        r.status = st.getColumn(8).getString();
        r.score = st.getColumn(9).isNull() ? std::nullopt : std::optional(st.getColumn(9).getDouble());
        r.passed = st.getColumn(10).isNull() ? std::nullopt : std::optional(st.getColumn(10).getInt() != 0);
        r.threshold = st.getColumn(11).getDouble();
        r.input_tokens = st.getColumn(12).getInt64();
        r.output_tokens = st.getColumn(13).getInt64();
        r.tokens_estimated = st.getColumn(14).getInt() != 0;
        r.cost_usd = st.getColumn(15).getDouble();
        r.latency_ms = st.getColumn(16).getDouble();
        r.ttft_ms = st.getColumn(17).isNull() ? std::nullopt : std::optional(st.getColumn(17).getDouble());
        r.retries = st.getColumn(18).getInt64();
        r.output = st.getColumn(19).getString();
        r.evaluations = nlohmann::json::parse(st.getColumn(20).getString());
        r.error_kind = st.getColumn(21).getString();
        r.error = st.getColumn(22).getString();
        r.simulated = st.getColumn(23).getInt() != 0;
        fn(r);
    }
}

} // namespace orch::store
