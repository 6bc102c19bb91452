#include <orch/core/error.hpp>
#include <orch/store/store.hpp>
#include <orch/util/hash.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>
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
    // 2: policy routes, judge accounting, route log, feedback, response cache
    R"sql(
ALTER TABLE results ADD COLUMN route TEXT;
ALTER TABLE results ADD COLUMN judge_cost_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
CREATE TABLE judge_calls (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    suite        TEXT NOT NULL,
    task_id      TEXT NOT NULL,
    target       TEXT NOT NULL,
    repeat       INTEGER NOT NULL,
    evaluator    TEXT NOT NULL,
    judge_model  TEXT NOT NULL,
    prompt_hash  TEXT NOT NULL,
    raw_reply    TEXT,
    score        REAL,
    status       TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd     REAL NOT NULL,
    latency_ms   REAL NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
CREATE INDEX judge_calls_by_result ON judge_calls(run_id, suite, task_id, target, repeat);
CREATE TABLE route_log (
    request_id    TEXT PRIMARY KEY,
    at            TEXT NOT NULL,
    policy        TEXT NOT NULL,
    rule          TEXT NOT NULL,
    task_type     TEXT,
    chain         TEXT NOT NULL,
    model         TEXT,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    latency_ms    REAL NOT NULL,
    outcome       TEXT NOT NULL,
    error         TEXT
);
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES route_log(request_id),
    score      REAL NOT NULL,
    comment    TEXT,
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
CREATE TABLE response_cache (
    key                 TEXT PRIMARY KEY,
    model               TEXT NOT NULL,
    text                TEXT NOT NULL,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    tokens_estimated    INTEGER NOT NULL,
    cost_usd            REAL NOT NULL,
    latency_ms          REAL NOT NULL,
    ttft_ms             REAL,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
)sql",
    // 3: workflows: a row per step, and per task its critical path beside the sequential sum
    R"sql(
ALTER TABLE results ADD COLUMN sequential_ms REAL;
ALTER TABLE results ADD COLUMN failed_step TEXT;
ALTER TABLE judge_calls ADD COLUMN step TEXT;
CREATE TABLE step_results (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id),
    suite          TEXT NOT NULL,
    task_id        TEXT NOT NULL,
    target         TEXT NOT NULL,
    repeat         INTEGER NOT NULL,
    step_id        TEXT NOT NULL,
    step_type      TEXT NOT NULL,
    model          TEXT,
    route          TEXT,
    status         TEXT NOT NULL,
    score          REAL,
    passed         INTEGER,
    threshold      REAL NOT NULL,
    input_tokens   INTEGER NOT NULL,
    output_tokens  INTEGER NOT NULL,
    cost_usd       REAL NOT NULL,
    judge_cost_usd REAL NOT NULL,
    latency_ms     REAL NOT NULL,
    start_ms       REAL NOT NULL,
    end_ms         REAL NOT NULL,
    retries        INTEGER NOT NULL,
    output         TEXT,
    evaluations    TEXT NOT NULL,
    error_kind     TEXT,
    error          TEXT,
    cached         INTEGER NOT NULL,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
    UNIQUE (run_id, suite, task_id, target, repeat, step_id)
);
)sql",
    // 4: agent loops: each tool call of each turn (the turns are step rows), a result's
    // trajectory, and cached answers that are tool calls
    R"sql(
ALTER TABLE results ADD COLUMN trajectory TEXT;
ALTER TABLE response_cache ADD COLUMN tool_calls TEXT;
CREATE TABLE tool_calls (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    suite       TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    target      TEXT NOT NULL,
    repeat      INTEGER NOT NULL,
    step        TEXT NOT NULL,
    turn        INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    call_id     TEXT,
    tool        TEXT NOT NULL,
    arguments   TEXT NOT NULL,
    valid       INTEGER NOT NULL,
    is_error    INTEGER NOT NULL,
    result      TEXT,
    error       TEXT,
    latency_ms  REAL NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
    UNIQUE (run_id, suite, task_id, target, repeat, step, turn, idx)
);
)sql",
    // 5: conversations: a result's context record, session memories, and token estimates'
    // evidence per model
    R"sql(
ALTER TABLE results ADD COLUMN context TEXT;
CREATE TABLE session_memory (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    suite       TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    target      TEXT NOT NULL,
    repeat      INTEGER NOT NULL,
    session     TEXT NOT NULL,
    summary     TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
    UNIQUE (run_id, suite, task_id, target, repeat)
);
CREATE INDEX session_memory_by_session ON session_memory (run_id, target, repeat, session);
CREATE TABLE token_calibration (
    model       TEXT PRIMARY KEY,
    estimated   INTEGER NOT NULL,
    reported    INTEGER NOT NULL,
    calls       INTEGER NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
)sql",
    // 6: routing that learns online: each routed request's propensity (the probability with
    // which its model was chosen), and for rules that learn, the prompt and the reward; the
    // bandit's evidence per policy, rule, task type and model
    R"sql(
ALTER TABLE route_log ADD COLUMN propensity REAL;
ALTER TABLE route_log ADD COLUMN online INTEGER NOT NULL DEFAULT 0;
ALTER TABLE route_log ADD COLUMN prompt TEXT;
ALTER TABLE route_log ADD COLUMN reward REAL;
CREATE TABLE bandit_state (
    policy      TEXT NOT NULL,
    rule        TEXT NOT NULL,
    task_type   TEXT NOT NULL,
    model       TEXT NOT NULL,
    n           REAL NOT NULL,
    reward_sum  REAL NOT NULL,
    cost_sum    REAL NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
    PRIMARY KEY (policy, rule, task_type, model)
);
)sql",
};

// Binds a value, or leaves the parameter NULL when there is none.
void bind_or_null(SQLite::Statement& st, int i, const std::optional<double>& v) {
    if (v) {
        st.bind(i, *v);
    }
}
void bind_or_null(SQLite::Statement& st, int i, const std::optional<bool>& v) {
    if (v) {
        st.bind(i, *v ? 1 : 0);
    }
}
void bind_or_null(SQLite::Statement& st, int i, const std::string& v) {
    if (!v.empty()) {
        st.bind(i, v);
    }
}
void bind_or_null(SQLite::Statement& st, int i, const nlohmann::json& v) {
    if (!v.is_null()) {
        st.bind(i, v.dump());
    }
}

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
                         "ttft_ms, retries, output, evaluations, error_kind, error, simulated, route, "
                         "judge_cost_usd, cached, sequential_ms, failed_step, trajectory, context) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
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
        bind_or_null(st, 10, r.score);
        bind_or_null(st, 11, r.passed);
        st.bind(12, r.threshold);
        st.bind(13, r.input_tokens);
        st.bind(14, r.output_tokens);
        st.bind(15, r.tokens_estimated ? 1 : 0);
        st.bind(16, r.cost_usd);
        st.bind(17, r.latency_ms);
        bind_or_null(st, 18, r.ttft_ms);
        st.bind(19, r.retries);
        st.bind(20, r.output);
        st.bind(21, r.evaluations.dump());
        bind_or_null(st, 22, r.error_kind);
        bind_or_null(st, 23, r.error);
        st.bind(24, r.simulated ? 1 : 0);
        bind_or_null(st, 25, r.route);
        st.bind(26, r.judge_cost_usd);
        st.bind(27, r.cached ? 1 : 0);
        bind_or_null(st, 28, r.sequential_ms);
        bind_or_null(st, 29, r.failed_step);
        bind_or_null(st, 30, r.trajectory);
        bind_or_null(st, 31, r.context);
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

namespace {

constexpr const char* k_result_columns =
    "run_id, suite, suite_hash, task_id, task_type, target, model, repeat, status, score, "
    "passed, threshold, input_tokens, output_tokens, tokens_estimated, cost_usd, latency_ms, "
    "ttft_ms, retries, output, evaluations, error_kind, error, simulated, route, "
    "judge_cost_usd, cached, sequential_ms, failed_step, trajectory, context";

std::optional<double> optional_double(const SQLite::Column& c) {
    return c.isNull() ? std::nullopt : std::optional(c.getDouble());
}

// Reads the k_result_columns of the current row.
void read_result(SQLite::Statement& st, ResultRow& r) {
    r.run_id = st.getColumn(0).getInt64();
    r.suite = st.getColumn(1).getString();
    r.suite_hash = st.getColumn(2).getString();
    r.task_id = st.getColumn(3).getString();
    r.task_type = st.getColumn(4).getString();
    r.target = st.getColumn(5).getString();
    r.model = st.getColumn(6).getString();
    r.repeat = st.getColumn(7).getInt64();
    r.status = st.getColumn(8).getString();
    r.score = optional_double(st.getColumn(9));
    r.passed = st.getColumn(10).isNull() ? std::nullopt : std::optional(st.getColumn(10).getInt() != 0);
    r.threshold = st.getColumn(11).getDouble();
    r.input_tokens = st.getColumn(12).getInt64();
    r.output_tokens = st.getColumn(13).getInt64();
    r.tokens_estimated = st.getColumn(14).getInt() != 0;
    r.cost_usd = st.getColumn(15).getDouble();
    r.latency_ms = st.getColumn(16).getDouble();
    r.ttft_ms = optional_double(st.getColumn(17));
    r.retries = st.getColumn(18).getInt64();
    r.output = st.getColumn(19).getString();
    r.evaluations = nlohmann::json::parse(st.getColumn(20).getString());
    r.error_kind = st.getColumn(21).getString();
    r.error = st.getColumn(22).getString();
    r.simulated = st.getColumn(23).getInt() != 0;
    r.route = st.getColumn(24).isNull() ? nlohmann::json() : nlohmann::json::parse(st.getColumn(24).getString());
    r.judge_cost_usd = st.getColumn(25).getDouble();
    r.cached = st.getColumn(26).getInt() != 0;
    r.sequential_ms = optional_double(st.getColumn(27));
    r.failed_step = st.getColumn(28).getString();
    r.trajectory = st.getColumn(29).isNull() ? nlohmann::json() : nlohmann::json::parse(st.getColumn(29).getString());
    r.context = st.getColumn(30).isNull() ? nlohmann::json() : nlohmann::json::parse(st.getColumn(30).getString());
}

} // namespace

void Store::for_each_result(std::int64_t run_id, const std::function<void(const ResultRow&)>& fn) {
    SQLite::Statement st(m_impl->db, fmt::format("SELECT {} FROM results WHERE run_id = ? "
                                                 "ORDER BY target, suite, task_id, repeat",
                                                 k_result_columns));
    st.bind(1, run_id);
    ResultRow r;
    while (st.executeStep()) {
        read_result(st, r);
        fn(r);
    }
}

namespace {

// Reads the summary columns of a run's rows whose ids lie in [lo, hi], on a connection of its
// own without SQLite's per-call mutex (one thread uses it), through the C API directly: no
// wrapper object per column, which at a million rows is most of the time.
void scan_summaries(const std::string& path, std::int64_t run_id, std::int64_t lo, std::int64_t hi,
                    const std::function<void(const ResultSummary&)>& fn) {
    SQLite::Database reader(path, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX);
    reader.setBusyTimeout(5000);
    sqlite3_stmt* raw = nullptr;
    // The rows of a run are mostly one stretch of row ids: reading that stretch of the table
    // is ~3x faster than a seek per row through the run index.
    const char* sql =
        "SELECT id, suite, task_id, task_type, target, status, repeat, score, passed, "
        "input_tokens, output_tokens, cost_usd, judge_cost_usd, latency_ms, ttft_ms, retries, "
        "simulated, cached, sequential_ms, failed_step FROM results NOT INDEXED WHERE id BETWEEN ?2 AND ?3 AND run_id = ?1";
    if (sqlite3_prepare_v2(reader.getHandle(), sql, -1, &raw, nullptr) != SQLITE_OK) {
        throw Error(ErrorKind::config, fmt::format("{}: {}", path, sqlite3_errmsg(reader.getHandle())));
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(raw, sqlite3_finalize);
    sqlite3_bind_int64(raw, 1, run_id);
    sqlite3_bind_int64(raw, 2, lo);
    sqlite3_bind_int64(raw, 3, hi);
    auto text = [raw](int i) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
        return p == nullptr ? std::string_view()
                            : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(raw, i)));
    };
    auto real_or_null = [raw](int i) {
        return sqlite3_column_type(raw, i) == SQLITE_NULL ? std::nullopt
                                                          : std::optional(sqlite3_column_double(raw, i));
    };
    ResultSummary r;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
        r.id = sqlite3_column_int64(raw, 0);
        r.suite = text(1);
        r.task_id = text(2);
        r.task_type = text(3);
        r.target = text(4);
        r.status = text(5);
        r.repeat = sqlite3_column_int64(raw, 6);
        r.score = real_or_null(7);
        r.passed = sqlite3_column_type(raw, 8) == SQLITE_NULL
                       ? std::nullopt
                       : std::optional(sqlite3_column_int(raw, 8) != 0);
        r.input_tokens = sqlite3_column_int64(raw, 9);
        r.output_tokens = sqlite3_column_int64(raw, 10);
        r.cost_usd = sqlite3_column_double(raw, 11);
        r.judge_cost_usd = sqlite3_column_double(raw, 12);
        r.latency_ms = sqlite3_column_double(raw, 13);
        r.ttft_ms = real_or_null(14);
        r.retries = sqlite3_column_int64(raw, 15);
        r.simulated = sqlite3_column_int(raw, 16) != 0;
        r.cached = sqlite3_column_int(raw, 17) != 0;
        r.sequential_ms = real_or_null(18);
        r.failed_step = text(19);
        fn(r);
    }
    if (rc != SQLITE_DONE) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: reading results: {}", path, sqlite3_errmsg(reader.getHandle())));
    }
}

} // namespace

void Store::for_each_result_summary(std::int64_t run_id, std::size_t parts,
                                    const std::function<void(std::size_t, const ResultSummary&)>& fn) {
    SQLite::Statement range(m_impl->db, "SELECT min(id), max(id) FROM results WHERE run_id = ?");
    range.bind(1, run_id);
    if (!range.executeStep() || range.getColumn(0).isNull()) {
        return; // no results
    }
    std::int64_t lo = range.getColumn(0).getInt64();
    std::int64_t hi = range.getColumn(1).getInt64();
    parts = std::max<std::size_t>(1, std::min<std::size_t>(parts, static_cast<std::size_t>(hi - lo + 1)));
    std::int64_t span = (hi - lo + 1 + static_cast<std::int64_t>(parts) - 1) / static_cast<std::int64_t>(parts);
    std::string path = m_impl->db.getFilename();
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(parts);
    for (std::size_t p = 0; p < parts; ++p) {
        std::int64_t from = lo + static_cast<std::int64_t>(p) * span;
        std::int64_t to = std::min(hi, from + span - 1);
        auto work = [&, p, from, to] {
            try {
                scan_summaries(path, run_id, from, to, [&](const ResultSummary& r) { fn(p, r); });
            } catch (...) {
                errors[p] = std::current_exception();
            }
        };
        if (p + 1 == parts) {
            work(); // the last stretch on this thread
        } else {
            threads.emplace_back(work);
        }
    }
    for (auto& t : threads) {
        t.join();
    }
    for (auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
}

std::vector<ResultRow> Store::results_by_id(const std::vector<std::int64_t>& ids) {
    SQLite::Statement st(m_impl->db,
                         fmt::format("SELECT {} FROM results WHERE id = ?", k_result_columns));
    std::vector<ResultRow> out;
    out.reserve(ids.size());
    for (auto id : ids) {
        st.reset();
        st.bind(1, id);
        if (st.executeStep()) {
            read_result(st, out.emplace_back());
        }
    }
    return out;
}

void Store::log_route(const RouteLogEntry& e) {
    SQLite::Statement st(m_impl->db,
                         "INSERT OR REPLACE INTO route_log (request_id, at, policy, rule, task_type, chain, "
                         "model, input_tokens, output_tokens, cost_usd, latency_ms, outcome, error, "
                         "propensity, online, prompt, reward) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    st.bind(1, e.request_id);
    st.bind(2, e.at);
    st.bind(3, e.policy);
    st.bind(4, e.rule);
    st.bind(5, e.task_type);
    st.bind(6, e.chain.dump());
    st.bind(7, e.model);
    st.bind(8, e.input_tokens);
    st.bind(9, e.output_tokens);
    st.bind(10, e.cost_usd);
    st.bind(11, e.latency_ms);
    st.bind(12, e.outcome);
    st.bind(13, e.error);
    bind_or_null(st, 14, e.propensity);
    st.bind(15, e.online ? 1 : 0);
    if (e.online) {
        st.bind(16, e.prompt);
    }
    bind_or_null(st, 17, e.reward);
    st.exec();
}

namespace {

constexpr const char* k_route_columns =
    "request_id, at, policy, rule, task_type, chain, model, input_tokens, output_tokens, "
    "cost_usd, latency_ms, outcome, error, propensity, online, prompt, reward, "
    "(SELECT avg(score) FROM feedback f WHERE f.request_id = route_log.request_id)";

RouteLogEntry read_route_entry(SQLite::Statement& st) {
    RouteLogEntry e;
    e.request_id = st.getColumn(0).getString();
    e.at = st.getColumn(1).getString();
    e.policy = st.getColumn(2).getString();
    e.rule = st.getColumn(3).getString();
    e.task_type = st.getColumn(4).getString();
    e.chain = nlohmann::json::parse(st.getColumn(5).getString());
    e.model = st.getColumn(6).getString();
    e.input_tokens = st.getColumn(7).getInt64();
    e.output_tokens = st.getColumn(8).getInt64();
    e.cost_usd = st.getColumn(9).getDouble();
    e.latency_ms = st.getColumn(10).getDouble();
    e.outcome = st.getColumn(11).getString();
    e.error = st.getColumn(12).getString();
    if (!st.getColumn(13).isNull()) {
        e.propensity = st.getColumn(13).getDouble();
    }
    e.online = st.getColumn(14).getInt() != 0;
    e.prompt = st.getColumn(15).getString();
    if (!st.getColumn(16).isNull()) {
        e.reward = st.getColumn(16).getDouble();
    }
    if (!st.getColumn(17).isNull()) {
        e.feedback = st.getColumn(17).getDouble();
    }
    return e;
}

} // namespace

std::optional<RouteLogEntry> Store::route_entry(const std::string& request_id) {
    SQLite::Statement st(m_impl->db, fmt::format("SELECT {} FROM route_log WHERE request_id = ?",
                                                 k_route_columns));
    st.bind(1, request_id);
    if (!st.executeStep()) {
        return std::nullopt;
    }
    return read_route_entry(st);
}

std::vector<RouteLogEntry> Store::logged_decisions(const std::string& policy) {
    SQLite::Statement st(
        m_impl->db,
        fmt::format("SELECT {} FROM route_log WHERE online = 1 AND propensity > 0 AND "
                    "(? = '' OR policy = ?) ORDER BY at, request_id",
                    k_route_columns));
    st.bind(1, policy);
    st.bind(2, policy);
    std::vector<RouteLogEntry> out;
    while (st.executeStep()) {
        out.push_back(read_route_entry(st));
    }
    return out;
}

void Store::add_bandit_observations(const std::vector<BanditArm>& arms) {
    if (arms.empty()) {
        return;
    }
    SQLite::Transaction tx(m_impl->db);
    SQLite::Statement st(
        m_impl->db,
        "INSERT INTO bandit_state (policy, rule, task_type, model, n, reward_sum, cost_sum) "
        "VALUES (?,?,?,?,?,?,?) ON CONFLICT (policy, rule, task_type, model) DO UPDATE SET "
        "n = n + excluded.n, reward_sum = reward_sum + excluded.reward_sum, "
        "cost_sum = cost_sum + excluded.cost_sum, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')");
    for (const auto& a : arms) {
        st.reset();
        st.bind(1, a.policy);
        st.bind(2, a.rule);
        st.bind(3, a.task_type);
        st.bind(4, a.model);
        st.bind(5, a.n);
        st.bind(6, a.reward_sum);
        st.bind(7, a.cost_sum);
        st.exec();
    }
    tx.commit();
}

std::vector<BanditArm> Store::bandit_state() {
    SQLite::Statement st(m_impl->db,
                         "SELECT policy, rule, task_type, model, n, reward_sum, cost_sum FROM "
                         "bandit_state ORDER BY policy, rule, task_type, model");
    std::vector<BanditArm> out;
    while (st.executeStep()) {
        out.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(),
                       st.getColumn(2).getString(), st.getColumn(3).getString(),
                       st.getColumn(4).getDouble(), st.getColumn(5).getDouble(),
                       st.getColumn(6).getDouble()});
    }
    return out;
}

bool Store::add_feedback(const std::string& request_id, double score, const std::string& comment) {
    if (!route_entry(request_id)) {
        return false;
    }
    SQLite::Statement st(m_impl->db, "INSERT INTO feedback (request_id, score, comment) VALUES (?,?,?)");
    st.bind(1, request_id);
    st.bind(2, score);
    st.bind(3, comment);
    st.exec();
    return true;
}

std::optional<CachedResponse> Store::cache_get(const std::string& key) {
    SQLite::Statement st(m_impl->db,
                         "SELECT text, input_tokens, output_tokens, cached_input_tokens, tokens_estimated, "
                         "cost_usd, latency_ms, ttft_ms, tool_calls FROM response_cache WHERE key = ?");
    st.bind(1, key);
    if (!st.executeStep()) {
        return std::nullopt;
    }
    CachedResponse c;
    c.text = st.getColumn(0).getString();
    c.input_tokens = st.getColumn(1).getInt64();
    c.output_tokens = st.getColumn(2).getInt64();
    c.cached_input_tokens = st.getColumn(3).getInt64();
    c.tokens_estimated = st.getColumn(4).getInt() != 0;
    c.cost_usd = st.getColumn(5).getDouble();
    c.latency_ms = st.getColumn(6).getDouble();
    c.ttft_ms = st.getColumn(7).isNull() ? std::nullopt : std::optional(st.getColumn(7).getDouble());
    if (!st.getColumn(8).isNull()) {
        c.tool_calls = nlohmann::json::parse(st.getColumn(8).getString(), nullptr, false);
    }
    return c;
}

void Store::cache_put(const std::vector<CacheEntry>& entries) {
    if (entries.empty()) {
        return;
    }
    SQLite::Transaction tx(m_impl->db);
    SQLite::Statement st(m_impl->db,
                         "INSERT OR REPLACE INTO response_cache (key, model, text, input_tokens, output_tokens, "
                         "cached_input_tokens, tokens_estimated, cost_usd, latency_ms, ttft_ms, tool_calls) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& e : entries) {
        const CachedResponse& c = e.response;
        st.reset();
        st.clearBindings();
        st.bind(1, e.key);
        st.bind(2, e.model);
        st.bind(3, c.text);
        st.bind(4, c.input_tokens);
        st.bind(5, c.output_tokens);
        st.bind(6, c.cached_input_tokens);
        st.bind(7, c.tokens_estimated ? 1 : 0);
        st.bind(8, c.cost_usd);
        st.bind(9, c.latency_ms);
        bind_or_null(st, 10, c.ttft_ms);
        bind_or_null(st, 11, c.tool_calls);
        st.exec();
    }
    tx.commit();
}

std::vector<AgentSummary> Store::agent_summaries(std::int64_t run_id) {
    SQLite::Statement st(m_impl->db,
                         "SELECT target, suite, count(*), sum(passed = 1), sum(status = 'error'), "
                         "sum(json_extract(trajectory, '$.turns')), sum(json_extract(trajectory, '$.tool_calls')), "
                         "sum(json_extract(trajectory, '$.invalid_calls')), "
                         "sum(status != 'error' AND json_extract(trajectory, '$.stop') != 'answer'), "
                         "sum(cost_usd + judge_cost_usd) FROM results WHERE run_id = ? AND trajectory IS NOT NULL "
                         "GROUP BY target, suite ORDER BY target, suite");
    st.bind(1, run_id);
    std::vector<AgentSummary> out;
    while (st.executeStep()) {
        AgentSummary a;
        a.target = st.getColumn(0).getString();
        a.suite = st.getColumn(1).getString();
        a.tasks = st.getColumn(2).getInt64();
        a.solved = st.getColumn(3).getInt64();
        a.errors = st.getColumn(4).getInt64();
        a.turns = st.getColumn(5).getInt64();
        a.tool_calls = st.getColumn(6).getInt64();
        a.invalid_calls = st.getColumn(7).getInt64();
        a.at_limit = st.getColumn(8).getInt64();
        a.cost_usd = st.getColumn(9).getDouble();
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<ContextSummary> Store::context_summaries(std::int64_t run_id) {
    SQLite::Statement st(m_impl->db,
                         "SELECT target, suite, count(*), sum(passed = 1), sum(status = 'error'), "
                         "sum(json_extract(context, '$.compactions')), sum(json_array_length(context, '$.rejected')), "
                         "sum(json_extract(context, '$.state') = 'compacted'), "
                         "sum(json_extract(context, '$.state') = 'kept_previous'), "
                         "sum(json_extract(context, '$.state') = 'truncated'), "
                         "sum(json_extract(context, '$.facts.planted')), sum(json_extract(context, '$.facts.kept')), "
                         "sum(json_extract(context, '$.compaction_cost_usd')), sum(cost_usd + judge_cost_usd), "
                         "sum(latency_ms), sum(abs(json_extract(context, '$.tokens.error_pct'))), "
                         "count(json_extract(context, '$.tokens.error_pct')) "
                         "FROM results WHERE run_id = ? AND context IS NOT NULL GROUP BY target, suite ORDER BY target, suite");
    st.bind(1, run_id);
    std::vector<ContextSummary> out;
    while (st.executeStep()) {
        ContextSummary c;
        c.target = st.getColumn(0).getString();
        c.suite = st.getColumn(1).getString();
        c.tasks = st.getColumn(2).getInt64();
        c.passed = st.getColumn(3).getInt64();
        c.errors = st.getColumn(4).getInt64();
        c.compactions = st.getColumn(5).getInt64();
        c.rejected = st.getColumn(6).getInt64();
        c.compacted = st.getColumn(7).getInt64();
        c.kept_previous = st.getColumn(8).getInt64();
        c.truncated = st.getColumn(9).getInt64();
        c.facts_planted = st.getColumn(10).getInt64();
        c.facts_kept = st.getColumn(11).getInt64();
        c.compaction_cost_usd = st.getColumn(12).getDouble();
        c.cost_usd = st.getColumn(13).getDouble();
        c.latency_ms = st.getColumn(14).getDouble();
        c.abs_estimate_error_pct = st.getColumn(15).getDouble();
        c.estimates = st.getColumn(16).getInt64();
        out.push_back(std::move(c));
    }
    return out;
}

void Store::add_token_calibration(const std::vector<TokenCalibration>& rows) {
    if (rows.empty()) {
        return;
    }
    SQLite::Transaction tx(m_impl->db);
    SQLite::Statement st(m_impl->db,
                         "INSERT INTO token_calibration (model, estimated, reported, calls) VALUES (?,?,?,?) "
                         "ON CONFLICT (model) DO UPDATE SET estimated = estimated + excluded.estimated, "
                         "reported = reported + excluded.reported, calls = calls + excluded.calls, "
                         "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')");
    for (const auto& r : rows) {
        st.reset();
        st.clearBindings();
        st.bind(1, r.model);
        st.bind(2, r.estimated);
        st.bind(3, r.reported);
        st.bind(4, r.calls);
        st.exec();
    }
    tx.commit();
}

std::vector<TokenCalibration> Store::token_calibration() {
    SQLite::Statement st(m_impl->db, "SELECT model, estimated, reported, calls FROM token_calibration ORDER BY model");
    std::vector<TokenCalibration> out;
    while (st.executeStep()) {
        out.push_back(TokenCalibration{st.getColumn(0).getString(), st.getColumn(1).getInt64(),
                                       st.getColumn(2).getInt64(), st.getColumn(3).getInt64()});
    }
    return out;
}

void Store::put_memories(const std::vector<MemoryRow>& rows) {
    if (rows.empty()) {
        return;
    }
    SQLite::Transaction tx(m_impl->db);
    SQLite::Statement st(m_impl->db,
                         "INSERT OR REPLACE INTO session_memory (run_id, suite, task_id, target, repeat, session, "
                         "summary, sha256) VALUES (?,?,?,?,?,?,?,?)");
    for (const auto& r : rows) {
        st.reset();
        st.clearBindings();
        st.bind(1, r.run_id);
        st.bind(2, r.suite);
        st.bind(3, r.task_id);
        st.bind(4, r.target);
        st.bind(5, r.repeat);
        st.bind(6, r.session);
        st.bind(7, r.summary);
        st.bind(8, util::sha256_hex(r.summary));
        st.exec();
    }
    tx.commit();
}

MemoryLookup Store::memory(std::int64_t run_id, const std::string& target, std::int64_t repeat,
                           const std::string& session) {
    MemoryLookup out;
    try {
        SQLite::Statement st(m_impl->db,
                             "SELECT m.summary, m.sha256, m.task_id FROM session_memory m JOIN results r ON "
                             "r.run_id = m.run_id AND r.suite = m.suite AND r.task_id = m.task_id AND "
                             "r.target = m.target AND r.repeat = m.repeat WHERE m.run_id = ? AND m.target = ? AND "
                             "m.repeat = ? AND m.session = ? ORDER BY m.id DESC LIMIT 1");
        st.bind(1, run_id);
        st.bind(2, target);
        st.bind(3, repeat);
        st.bind(4, session);
        if (st.executeStep()) {
            std::string summary = st.getColumn(0).getString();
            if (util::sha256_hex(summary) != st.getColumn(1).getString()) {
                out.unavailable = fmt::format("the memory task {} left does not match its checksum",
                                              st.getColumn(2).getString());
            } else {
                out.summary = std::move(summary);
            }
        }
    } catch (const std::exception& e) {
        out.unavailable = e.what();
    }
    return out;
}

void Store::add_tool_calls(const std::vector<ToolCallRow>& rows) {
    if (rows.empty()) {
        return;
    }
    SQLite::Transaction tx(m_impl->db);
    SQLite::Statement st(m_impl->db,
                         "INSERT OR IGNORE INTO tool_calls (run_id, suite, task_id, target, repeat, step, turn, idx, "
                         "call_id, tool, arguments, valid, is_error, result, error, latency_ms) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& r : rows) {
        st.reset();
        st.clearBindings();
        st.bind(1, r.run_id);
        st.bind(2, r.suite);
        st.bind(3, r.task_id);
        st.bind(4, r.target);
        st.bind(5, r.repeat);
        st.bind(6, r.step);
        st.bind(7, r.turn);
        st.bind(8, r.index);
        bind_or_null(st, 9, r.call_id);
        st.bind(10, r.tool);
        st.bind(11, r.arguments);
        st.bind(12, r.valid ? 1 : 0);
        st.bind(13, r.is_error ? 1 : 0);
        st.bind(14, r.result);
        bind_or_null(st, 15, r.error);
        st.bind(16, r.latency_ms);
        st.exec();
    }
    tx.commit();
}

void Store::add_judge_calls(const std::vector<JudgeCall>& calls) {
    if (calls.empty()) {
        return;
    }
    SQLite::Transaction tx(m_impl->db);
    SQLite::Statement st(m_impl->db,
                         "INSERT INTO judge_calls (run_id, suite, task_id, target, repeat, evaluator, "
                         "judge_model, prompt_hash, raw_reply, score, status, input_tokens, output_tokens, "
                         "cost_usd, latency_ms, step) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& c : calls) {
        st.reset();
        st.clearBindings();
        st.bind(1, c.run_id);
        st.bind(2, c.suite);
        st.bind(3, c.task_id);
        st.bind(4, c.target);
        st.bind(5, c.repeat);
        st.bind(6, c.evaluator);
        st.bind(7, c.judge_model);
        st.bind(8, c.prompt_hash);
        st.bind(9, c.raw_reply);
        bind_or_null(st, 10, c.score);
        st.bind(11, c.status);
        st.bind(12, c.input_tokens);
        st.bind(13, c.output_tokens);
        st.bind(14, c.cost_usd);
        st.bind(15, c.latency_ms);
        bind_or_null(st, 16, c.step);
        st.exec();
    }
    tx.commit();
}

std::map<std::pair<std::string, std::string>, double> Store::output_token_means() {
    SQLite::Statement st(m_impl->db, "SELECT model, task_type, avg(output_tokens) FROM results "
                                     "WHERE status != 'error' GROUP BY model, task_type");
    std::map<std::pair<std::string, std::string>, double> out;
    while (st.executeStep()) {
        out[{st.getColumn(0).getString(), st.getColumn(1).getString()}] = st.getColumn(2).getDouble();
    }
    return out;
}

std::vector<QualityStat> Store::quality_stats(std::optional<std::int64_t> run_id) {
    // One model's answers: single-call results, and the steps of workflows scored by their own
    // evaluators (by the step's type). A workflow's own result scores the whole chain, not a model.
    std::string where = run_id ? "AND run_id = ?1" : "";
    SQLite::Statement st(m_impl->db,
                         "SELECT model, task_type, count(*), avg(score), avg(score * score), avg(cost_usd), "
                         "avg(latency_ms) FROM ("
                         "SELECT model, task_type, score, cost_usd, latency_ms FROM results WHERE status = 'scored' "
                         "AND sequential_ms IS NULL AND model IS NOT NULL AND model != '' " + where +
                         " UNION ALL SELECT model, step_type, score, cost_usd, latency_ms FROM step_results WHERE "
                         "status = 'scored' AND model IS NOT NULL AND model != '' " + where +
                         ") GROUP BY model, task_type ORDER BY model, task_type");
    if (run_id) {
        st.bind(1, *run_id);
    }
    std::vector<QualityStat> out;
    while (st.executeStep()) {
        QualityStat q;
        q.model = st.getColumn(0).getString();
        q.task_type = st.getColumn(1).getString();
        q.n = st.getColumn(2).getInt64();
        q.mean = st.getColumn(3).getDouble();
        double mean_sq = st.getColumn(4).getDouble();
        double var = std::max(0.0, mean_sq - q.mean * q.mean);
        if (q.n > 1) {
            var *= static_cast<double>(q.n) / static_cast<double>(q.n - 1);
        }
        q.stddev = std::sqrt(var);
        q.cost_per_task = st.getColumn(5).getDouble();
        q.latency_mean_ms = st.getColumn(6).getDouble();
        out.push_back(q);
    }
    return out;
}

} // namespace orch::store

namespace orch::store {

void Store::add_step_results(const std::vector<StepRow>& rows) {
    if (rows.empty()) {
        return;
    }
    auto& db = m_impl->db;
    SQLite::Transaction tx(db);
    SQLite::Statement st(db, "INSERT OR IGNORE INTO step_results (run_id, suite, task_id, target, repeat, step_id, "
                             "step_type, model, route, status, score, passed, threshold, input_tokens, "
                             "output_tokens, cost_usd, judge_cost_usd, latency_ms, start_ms, end_ms, retries, "
                             "output, evaluations, error_kind, error, cached) "
                             "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& r : rows) {
        st.reset();
        st.clearBindings();
        st.bind(1, r.run_id);
        st.bind(2, r.suite);
        st.bind(3, r.task_id);
        st.bind(4, r.target);
        st.bind(5, r.repeat);
        st.bind(6, r.step_id);
        st.bind(7, r.step_type);
        st.bind(8, r.model);
        bind_or_null(st, 9, r.route);
        st.bind(10, r.status);
        bind_or_null(st, 11, r.score);
        bind_or_null(st, 12, r.passed);
        st.bind(13, r.threshold);
        st.bind(14, r.input_tokens);
        st.bind(15, r.output_tokens);
        st.bind(16, r.cost_usd);
        st.bind(17, r.judge_cost_usd);
        st.bind(18, r.latency_ms);
        st.bind(19, r.start_ms);
        st.bind(20, r.end_ms);
        st.bind(21, r.retries);
        st.bind(22, r.output);
        st.bind(23, r.evaluations.dump());
        bind_or_null(st, 24, r.error_kind);
        bind_or_null(st, 25, r.error);
        st.bind(26, r.cached ? 1 : 0);
        st.exec();
    }
    tx.commit();
}

namespace {
constexpr const char* k_step_columns =
    "run_id, suite, task_id, target, repeat, step_id, step_type, model, route, status, score, passed, threshold, "
    "input_tokens, output_tokens, cost_usd, judge_cost_usd, latency_ms, start_ms, end_ms, retries, output, "
    "evaluations, error_kind, error, cached";

StepRow read_step(SQLite::Statement& st) {
    StepRow r;
    r.run_id = st.getColumn(0).getInt64();
    r.suite = st.getColumn(1).getString();
    r.task_id = st.getColumn(2).getString();
    r.target = st.getColumn(3).getString();
    r.repeat = st.getColumn(4).getInt64();
    r.step_id = st.getColumn(5).getString();
    r.step_type = st.getColumn(6).getString();
    r.model = st.getColumn(7).getString();
    r.route = st.getColumn(8).isNull() ? nlohmann::json() : nlohmann::json::parse(st.getColumn(8).getString());
    r.status = st.getColumn(9).getString();
    r.score = optional_double(st.getColumn(10));
    r.passed = st.getColumn(11).isNull() ? std::nullopt : std::optional(st.getColumn(11).getInt() != 0);
    r.threshold = st.getColumn(12).getDouble();
    r.input_tokens = st.getColumn(13).getInt64();
    r.output_tokens = st.getColumn(14).getInt64();
    r.cost_usd = st.getColumn(15).getDouble();
    r.judge_cost_usd = st.getColumn(16).getDouble();
    r.latency_ms = st.getColumn(17).getDouble();
    r.start_ms = st.getColumn(18).getDouble();
    r.end_ms = st.getColumn(19).getDouble();
    r.retries = st.getColumn(20).getInt64();
    r.output = st.getColumn(21).getString();
    r.evaluations = nlohmann::json::parse(st.getColumn(22).getString());
    r.error_kind = st.getColumn(23).getString();
    r.error = st.getColumn(24).getString();
    r.cached = st.getColumn(25).getInt() != 0;
    return r;
}
} // namespace

std::unordered_map<std::string, std::vector<StepRow>> Store::unfinished_steps(std::int64_t run_id) {
    SQLite::Statement st(m_impl->db,
                         fmt::format("SELECT {} FROM step_results s WHERE run_id = ? AND NOT EXISTS (SELECT 1 FROM "
                                     "results r WHERE r.run_id = s.run_id AND r.suite = s.suite AND r.task_id = "
                                     "s.task_id AND r.target = s.target AND r.repeat = s.repeat) ORDER BY id",
                                     k_step_columns));
    st.bind(1, run_id);
    std::unordered_map<std::string, std::vector<StepRow>> out;
    while (st.executeStep()) {
        StepRow r = read_step(st);
        out[work_key(r.suite, r.task_id, r.target, r.repeat)].push_back(std::move(r));
    }
    return out;
}

void Store::for_each_step(std::int64_t run_id, const std::function<void(const StepRow&)>& fn) {
    SQLite::Statement st(m_impl->db, fmt::format("SELECT {} FROM step_results WHERE run_id = ? "
                                                 "ORDER BY target, suite, task_id, repeat, start_ms, id",
                                                 k_step_columns));
    st.bind(1, run_id);
    while (st.executeStep()) {
        fn(read_step(st));
    }
}

} // namespace orch::store
