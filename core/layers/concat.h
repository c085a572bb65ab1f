#pragma once
// Concat: a module of parallel branches whose outputs are concatenated along channels (an
// Inception module). Every branch is a Net that sees the module's input; a branch with no layers
// passes the input through. Branch outputs must agree on every dimension except channels.

#include <string>
#include <vector>

#include "core/layer.h"
#include "core/layers/registry.h"
#include "core/net.h"

namespace ll {

class Concat : public Layer {
public:
    /// Each branch's inputSample must be the module's input sample.
    explicit Concat(std::vector<Net> branches);

    const char* type() const override { return "Concat"; }
    static LayerKind kind();
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape& in) const override;
    void write(nlohmann::json& j) const override;
    std::string describe() const override;
    /// Throws ShapeError naming the branches that disagree.
    Shape outputShape(const Shape& in) const override;

    std::vector<Param*> params() override;
    std::vector<NamedParam> namedParams() override;
    std::vector<Buffer> buffers() override;
    void resetParameters(Rng& rng) override;
    void freezeRandomness(bool frozen) override;
    int numBranches() const override { return static_cast<int>(m_branches.size()); }
    Net& branch(int i) override { return m_branches.at(static_cast<std::size_t>(i)); }
    const Net& branch(int i) const override { return m_branches.at(static_cast<std::size_t>(i)); }

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;

private:
    const Tensor& branchOutput(int b, const Tensor& x) const;

    std::vector<Net> m_branches;
    std::vector<Tensor> m_dySlices;  // per branch: its part of dy
};

}  // namespace ll
