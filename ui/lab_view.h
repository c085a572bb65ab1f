#pragma once
// Lab view: the convolution lab (core/analysis/conv_lab.h) on the current test image, an image
// file or a dropped image. A kernel editor (presets, a k×k table, the kernel as text, stride,
// padding, dilation) whose output map follows every edit, drawn with its value range; the
// operator identities on this input, each as its two results side by side with their largest
// difference; and the selected convolution layer's learned filter opened in the editor, applied
// to that layer's own input, with "reset to learned".
//
// A tab of its own rather than a mode of Layers: Layers shows what the trained net computes,
// the lab what the user sets by hand; sharing one page would crowd both (the editor alone needs
// the space of the Layers list).

#include <QWidget>

#include "core/analysis/conv_lab.h"
#include "ui/snapshots.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace ll::ui {

class MapGrid;

class LabView : public QWidget {
    Q_OBJECT
public:
    explicit LabView(QWidget* parent = nullptr);

    /// The model's layers (for the learned filters' windows).
    void setModel(const ModelInfo& info);
    /// The current test image (snapshot input) and, when the inspected layer is a convolution,
    /// its filters: the "learned filter" controls become available.
    void showSnapshot(const InspectSnapshot& s);
    /// Uses `x` (C, H, W) as the input, named `source`.
    void setImage(const Tensor& x, const QString& source);
    /// Loads an image file as the input (pixels scaled to [0, 1], at most 256×256); returns an
    /// error or "".
    QString openImage(const QString& path);

    /// The kernel as text, as if typed (an invalid text is shown as an error; the map keeps the
    /// last valid kernel). Returns the error, or "".
    QString setKernelText(const QString& text);
    QString kernelText() const;
    /// Puts preset `name` in the kernel being edited.
    void setPreset(const QString& name);
    /// One kernel per output channel (it opens with the two forward differences): the editor
    /// edits kernel `currentKernel()`; the output shows every kernel's maps.
    int kernelCount() const { return static_cast<int>(m_kernels.size()); }
    int currentKernel() const { return m_current; }
    void setCurrentKernel(int k);
    /// Adds a kernel (identity) after the others and edits it; removes the one being edited.
    void addKernel();
    void removeKernel();
    void setConv(int stride, int padding, int dilation);
    /// Opens filter `o` of the inspected convolution layer in the editor; returns an error or "".
    QString loadLearnedFilter(int o = 0);
    void resetToLearned();
    bool learnedMode() const { return m_learnedMode; }

    const Tensor& outputMap() const { return m_output; }  // (C, Ho, Wo)
    const Tensor& input() const { return m_image; }
    QString rangeText() const;
    QString errorText() const;
    QString learnedText() const;
    const std::vector<IdentityCheck>& identities() const { return m_checks; }
    void selectIdentity(int row);
    /// The output map's values, one CSV row per image row (maps one after the other).
    QString mapCsv() const;
    /// The identities table as CSV.
    QString identitiesCsv() const;

    MapGrid* inputGrid() const { return m_inputGrid; }
    MapGrid* outputGrid() const { return m_outputGrid; }
    QWidget* identityPair() const { return m_pair; }
    QTableWidget* identityTable() const { return m_table; }
    QTableWidget* kernelTable() const { return m_kernelTable; }
    QLineEdit* kernelEdit() const { return m_kernelText; }

    /// The model identities' results: their lines under the table, and each check a row of the
    /// table after the input's (both outputs side by side when selected); or why they could not
    /// be checked. Kept until the model changes.
    void setModelIdentities(const ModelIdentities& result);
    QString modelIdentitiesText() const;

signals:
    /// The map was recomputed (for tests and screenshots).
    void mapUpdated();
    /// "Check on the model" was pressed: batch-norm folding, FC → conv and activations after
    /// max-pooling on the current net (its worker runs them).
    void modelIdentitiesRequested();

protected:
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    /// The kernel table (and, with updateText, the text box unless it is being typed in) from
    /// the editor's kernel.
    void fillTable(bool updateText = true);
    /// Back to the hand-set kernels on the chosen image (the learned filter stays loadable).
    void leaveLearnedMode();
    /// Whether the inspected layer is a convolution of this model whose filter can open.
    void updateLearnedAvailability();
    void tableEdited();
    void recompute();
    void computeIdentities();
    void showIdentity();
    /// The kernel the editor holds now (channel `m_channel` of the learned filter in learned mode).
    Kernel editorKernel() const;

    ModelInfo m_info;
    Tensor m_image;  // (C, H, W)
    QString m_source;
    Tensor m_testImage;  // the last snapshot's input
    QString m_testSource;
    // The inspected layer: its filters (Cout, Cin, kh, kw), biases, input and output.
    int m_snapLayer = -1;
    Tensor m_snapFilters, m_snapBias, m_snapInput;
    std::vector<Tensor> m_snapActivations;
    Tensor m_snapLayerInput, m_snapLayerOutput;  // of the inspected layer, when a convolution
    // Learned mode: the filter (C, kh, kw) being edited, its bias and window; the original.
    bool m_learnedMode = false;
    int m_learnedIndex = 0;
    Tensor m_filter;
    LearnedFilter m_learned;
    int m_learnedLayer = -1;
    Tensor m_learnedInput, m_learnedOutput;  // the layer's input (C, H, W) and output maps
    int m_channel = 0;

    std::vector<Kernel> m_kernels;  // the last valid kernels (plain mode), one per output channel
    int m_current = 0;              // the one being edited
    Tensor m_output;                // (C, Ho, Wo)
    QString m_error, m_range;
    std::vector<IdentityCheck> m_checks;       // the input's, then m_modelChecks
    std::vector<IdentityCheck> m_modelChecks;  // the last "Check on the model", this model
    int m_selected = 0;
    bool m_updating = false;

    QLabel* m_sourceLabel;
    MapGrid* m_inputGrid;
    QComboBox* m_presets;
    QSpinBox* m_kernelIndex;
    QPushButton* m_addKernel;
    QPushButton* m_removeKernel;
    QSpinBox* m_rows;
    QSpinBox* m_cols;
    QTableWidget* m_kernelTable;
    QLineEdit* m_kernelText;
    QLabel* m_errorLabel;
    QSpinBox* m_stride;
    QSpinBox* m_padding;
    QSpinBox* m_dilation;
    QSpinBox* m_filterIndex;
    QSpinBox* m_channelSpin;
    QPushButton* m_loadLearned;
    QPushButton* m_reset;
    QLabel* m_learnedLabel;
    MapGrid* m_outputGrid;
    QLabel* m_rangeLabel;
    QTableWidget* m_table;
    QWidget* m_pair;
    MapGrid* m_left;
    MapGrid* m_right;
    QLabel* m_leftTitle;
    QLabel* m_rightTitle;
    QLabel* m_diffLabel;
    QLabel* m_modelLabel;
};

}  // namespace ll::ui
