#pragma once
// Receptive fields (Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
// Networks", Distill 2019), per axis (0 = rows, 1 = columns):
//   size  r_l = r_{l−1} + (k_l − 1)·j_{l−1}
//   jump  j_l = j_{l−1}·s_l                 (distance in input pixels between adjacent units)
//   start u_l = u_{l−1} − p_l·j_{l−1}        (input coordinate of the first pixel unit 0 sees;
//                                            negative when it reaches into the padding)
// Unit i of layer l sees input pixels [u_l + i·j_l, u_l + i·j_l + r_l) along the axis.
// Element-wise layers leave the field unchanged; Flatten (and so the first Linear after it)
// sees the whole map: it acts as a kernel the size of its input. Parallel branches (Concat)
// combine when they are aligned: same jump and same centre; the size is then the largest.

#include <array>
#include <string>
#include <vector>

#include "core/layer.h"
#include "core/net.h"

namespace ll {

struct ReceptiveField {
    std::array<int, 2> size{1, 1};
    std::array<int, 2> jump{1, 1};
    std::array<int, 2> start{0, 0};
    bool valid = true;
    std::string note;  // why it is not valid (no spatial input, misaligned branches)
};

/// The field after `leaf` (a leaf layer) given the field of its input and its batched input shape.
ReceptiveField receptiveFieldThrough(const Layer& leaf, const ReceptiveField& in,
                                     const Shape& inShape);
/// The field of every node of `net` (a graph) given its input's field and batched shape. A node
/// with several inputs combines their fields first: paths that agree on jump and centre give the
/// largest field (a shortcut and a 3×3 path meet with the 3×3 path's field); an input broadcast
/// from (C, 1, 1) (a squeeze-and-excitation gate) adds the whole input to every unit, noted;
/// paths that disagree make the field invalid, with a note naming the node, the inputs and why.
std::vector<ReceptiveField> receptiveFields(const Net& net, const ReceptiveField& in,
                                            const Shape& inShape);
/// The field after a whole net (or a module's branch) given its input's field and shape.
ReceptiveField receptiveFieldThrough(const Net& net, const ReceptiveField& in,
                                     const Shape& inShape);
/// The field at the net's input: a single pixel, or invalid when the input is not (C, H, W).
ReceptiveField inputReceptiveField(const Shape& inputSample);

/// Half-open ranges of input pixels one unit depends on.
struct UnitRegion {
    int rows[2] = {0, 0}, cols[2] = {0, 0};                // unclipped: may extend into the padding
    int clippedRows[2] = {0, 0}, clippedCols[2] = {0, 0};  // inside the H×W image
};
/// Region of unit (i, j) for a field, on an input image of height H and width W.
UnitRegion unitRegion(const ReceptiveField& rf, int i, int j, int H, int W);

/// Effective receptive field (Luo et al. 2016): |∂y/∂x| of unit (channel, i, j) of top-level
/// layer `layer` with respect to the input x (one sample, (C, H, W) or (1, C, H, W)), summed
/// over input channels: an (H, W) map. Runs forward (Eval) and backward from that layer; the
/// net's parameter gradients are left zeroed.
Tensor effectiveReceptiveField(Net& net, const Tensor& x, int layer, int channel, int i, int j);

}  // namespace ll
