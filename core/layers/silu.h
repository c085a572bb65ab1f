#pragma once

#include "core/layers/activation.h"

namespace ll {

/// Element-wise x · σ(x) (SiLU, a.k.a. swish; Elfwing et al. 2018, Ramachandran et al. 2017),
/// without overflow for large |x|. Any shape.
class SiLU : public Activation {
public:
    const char* type() const override { return "SiLU"; }
    static LayerKind kind();

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
};

}  // namespace ll
