#pragma once
// Off-policy evaluation of a routing policy on logged traffic: how a candidate would have done
// on requests another policy routed, without running it. A logging rule that draws its model
// (a bandit exploring, a split) records the probability p of the model it chose; where the
// candidate would have chosen the same model, that request's reward counts with weight 1/p,
// elsewhere 0 (inverse-propensity weighting: unbiased when every model the candidate picks had
// p > 0). The self-normalised estimate divides by the sum of weights instead of n: a little
// biased, much less variable.
#include <cstddef>
#include <string>
#include <vector>

namespace orch::learn {

struct LoggedChoice {
    std::string chosen;    // the model the logging rule chose
    double propensity = 1; // with this probability
    double reward = 0;     // 0..1: feedback where given, else the evaluator's score
    std::string candidate; // the model the candidate policy would have chosen
};

struct OffPolicyEstimate {
    std::size_t n = 0;       // logged requests
    std::size_t matched = 0; // where the candidate agrees with what was logged
    double ips = 0;          // the candidate's estimated mean reward
    double ips_lo = 0;       // 95% interval (normal, from the weighted rewards' spread)
    double ips_hi = 0;
    double snips = 0;        // self-normalised
    double logged = 0;       // the logging policy's own mean reward
};

OffPolicyEstimate estimate_offpolicy(const std::vector<LoggedChoice>& log);

} // namespace orch::learn
