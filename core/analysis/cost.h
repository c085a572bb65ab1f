#pragma once
// Per-layer cost tables: parameters, multiplications, additions, FLOPs, MACs, pooling,
// batch-norm and activation-function operations, activation memory and receptive fields,
// under an explicit, named counting convention. All counts are for ONE sample.
//
// The default convention, "course" (the one of the course material):
//   Conv2d   multiplications = (Cin/groups)·kh·kw·Cout·Hout·Wout, additions the same (the bias
//            supplies the extra addition; without a bias one addition per output less);
//            a sparse convolution counts only its connected input maps;
//   Linear   multiplications = nin·nout, additions the same (one less per output without bias);
//   FLOPs    = multiplications + additions of Conv2d and Linear layers only;
//   MACs     = multiplications of Conv2d and Linear (what PyTorch counters such as thop,
//            ptflops and fvcore call FLOPs or MACs);
//   pooling  comparisons (max: kh·kw − 1 per output) or additions and one division (average),
//            batch norm (2 per element in eval mode: a multiply and an add after folding) and
//            activation-function evaluations (one per element) are reported in their own
//            columns and left out of FLOPs; so are the element-wise additions and products of
//            Add and Mul nodes (residual joins, gates), under every convention.
// Modifiers change it: "-nobias" (no bias additions), "+pool", "+bn", "+act" fold those
// operations into FLOPs, "+all" folds all three. Base "macs" makes FLOPs = MACs.

#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis/receptive_field.h"
#include "core/net.h"

namespace ll {

struct CostConvention {
    bool macs = false;  // FLOPs column counts multiply-accumulates instead of mult + add
    bool bias = true;   // the bias supplies an addition per output
    bool foldPooling = false, foldBatchNorm = false, foldActivations = false;

    /// Parses "course", "macs", with modifiers "-nobias", "+pool", "+bn", "+act", "+all",
    /// e.g. "course+all" or "macs-nobias". Throws UsageError listing the choices.
    static CostConvention parse(const std::string& name);
    std::string name() const;
    /// One sentence saying how FLOPs were counted, for table captions and JSON.
    std::string explain() const;
};

struct CostCounts {
    std::int64_t weights = 0, biases = 0;  // trainable (BN: γ counts as weight, β as bias)
    std::int64_t multiplications = 0, additions = 0;  // of Conv2d and Linear
    std::int64_t macs = 0;
    std::int64_t poolOps = 0;          // comparisons (max) or additions + divisions (average)
    std::int64_t normOps = 0;          // batch-norm operations
    std::int64_t activations = 0;      // activation-function evaluations
    std::int64_t elementwise = 0;      // additions and products of Add and Mul nodes (own column)
    std::int64_t flops = 0;            // under the table's convention
    std::int64_t activationBytes = 0;  // output elements · 4 (float32)
    std::int64_t params() const { return weights + biases; }
    /// Backward-pass FLOPs: 2× the forward FLOPs of Conv2d and Linear (dx and dW).
    std::int64_t backwardFlops = 0;
    CostCounts& operator+=(const CostCounts& o);
};

struct CostRow {
    std::string name;    // path: "conv1", "inception/b3x3/conv1"; a branch: "inception/b3x3"
    std::string type;    // layer type; "Branch" for a branch's subtotal row
    bool leaf = true;    // false for modules and branches (their counts are subtotals)
    int depth = 0;       // nesting level (0: top-level layer)
    int leafIndex = -1;  // position in the leaf list (leaves only)
    int node = -1;  // the net's node this row is (top-level nodes only; −1 for blocks/branches)
    Shape outputShape;   // one sample, no batch dimension
    std::string detail;  // the layer's hyper-parameters, e.g. "1→6, k5×5, s1, p2"
    CostCounts cost;
    ReceptiveField rf;
};

struct CostTable {
    std::string model;
    Shape input;  // one sample
    CostConvention convention;
    std::vector<CostRow> rows;  // depth-first: a module, then its branches, each with its leaves
    CostCounts totals;  // sum of the top-level rows (modules include their concatenated output)
    /// Rows that are leaves, in order (the indices `--layer N` refers to).
    std::vector<const CostRow*> leaves() const;
    /// The leaf with that name (path) or 0-based leaf index as text; throws UsageError listing
    /// the choices.
    const CostRow& findLeaf(const std::string& nameOrIndex) const;
};

/// Cost table of `net` for one input sample of shape `inputSample` (the net's own input when
/// empty). Throws ShapeError naming the first layer that does not fit.
CostTable computeCosts(const Net& net, const CostConvention& convention = {},
                       const Shape& inputSample = {});

/// Memory a training run needs, estimated from the cost table (bytes, float32): the weights, their
/// gradients, the optimizer's state (none for SGD, one copy for momentum, two for Adam), and per
/// sample of the batch three times the activation memory (each output, its gradient, and the
/// layers' caches such as pooling indices and convolution columns, taken as one more copy).
struct TrainingMemory {
    std::int64_t weights = 0, gradients = 0, optimizerState = 0, activations = 0;
    std::int64_t total() const { return weights + gradients + optimizerState + activations; }
};
TrainingMemory estimateTrainingMemory(const CostTable& t, int batch, const std::string& optimizer);
/// Throws ModelError naming the estimate and what is available when training `net` with this
/// batch and optimizer would need more memory than memoryBudget() (checked before a run starts,
/// on a net built shapes only).
void requireTrainingMemory(const Net& net, int batch, const std::string& optimizer);

/// Column titles of the renderings and the app's table, in order (14 columns).
const std::vector<std::string>& costColumnTitles();

/// Renderings for the command line and the app's "copy" actions.
std::string costTableText(const CostTable& t);
std::string costTableCsv(const CostTable& t);
std::string costTableMarkdown(const CostTable& t);
std::string costTableJson(const CostTable& t);

/// Designs side by side, one row per table (its totals; the tables should share a convention):
/// parameterized layers, parameters, FLOPs, MACs, training FLOPs (forward + backward) and
/// activation memory, with each design's parameters and FLOPs as a multiple of the first's.
/// format: table | csv | markdown. Throws UsageError for another format or no tables.
std::string costComparison(const std::vector<CostTable>& tables, const std::string& format);
/// The same as cells: a header row, then one row per table (numbers with thousands separators,
/// or plain for CSV).
std::vector<std::vector<std::string>> costComparisonCells(const std::vector<CostTable>& tables,
                                                          bool plainNumbers = false);

}  // namespace ll
