#pragma once
// Learning-rate schedules: the rate of each epoch as a factor of the base rate.
//
//   constant        every epoch at the base rate (the default)
//   step            ×0.1 after half and after three quarters of the epochs (He et al. 2016, §4.2:
//                   "divide it by 10 at 32k and 48k iterations, terminate at 64k")
//   step:F1,F2,...  ×0.1 after each fraction Fi of the epochs; step:F1,...:G multiplies by G
//   cosine          base · (1 + cos(π (e − 1) / E)) / 2 for epoch e of E (Loshchilov and Hutter
//                   2017, without restarts; PyTorch's CosineAnnealingLR stepped once per epoch)
//
// A step after fraction F falls after epoch round(F · E) (halves up): the rate of epoch e is
// multiplied by G for every step with round(F · E) < e. PyTorch's MultiStepLR with milestones
// round(F · E), stepped once per epoch, gives the same rates.

#include <string>
#include <vector>

namespace ll {

struct LrSchedule {
    enum class Kind { Constant, Step, Cosine };
    Kind kind = Kind::Constant;
    std::vector<double> at;  // Step: fractions of the run's epochs, increasing, in (0, 1)
    double gamma = 0.1;      // Step: the factor of each step

    /// The factor of epoch `epoch` (1-based) of `epochs`: 1 for Constant.
    double factor(int epoch, int epochs) const;
    /// The epochs after which a Step schedule multiplies the rate (empty for the others).
    std::vector<int> milestones(int epochs) const;
    /// The text parseLrSchedule reads back: "constant", "step:0.5,0.75", "cosine".
    std::string str() const;
    /// For people: "×0.1 after epochs 15 and 23 of 30".
    std::string describe(int epochs) const;
    bool operator==(const LrSchedule& o) const {
        return kind == o.kind && at == o.at && gamma == o.gamma;
    }
};

/// Reads "constant", "cosine", "step", "step:F1,F2,..." or "step:F1,F2,...:G". Throws UsageError
/// naming what is wrong (an unknown kind, a fraction outside (0, 1) or not increasing, a factor
/// outside (0, 1]).
LrSchedule parseLrSchedule(const std::string& text);

}  // namespace ll
