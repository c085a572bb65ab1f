#pragma once
// Layers view: the layer list (PgUp/PgDn or ←/→ to step, or the slider), an input picker (test
// image by index or class, or an image file), the selected layer's feature maps or filters with
// statistics, the input with the clicked unit's analytic receptive field and effective field,
// and the class probabilities for the current weights.

#include <QWidget>

#include "ui/snapshots.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;
class QSpinBox;
class QTableView;
class QTabWidget;
class QCustomPlot;
class QCPBars;

namespace ll::ui {

class InputView;
class LayerListModel;
class MapGrid;

class LayersView : public QWidget {
    Q_OBJECT
public:
    explicit LayersView(QWidget* parent = nullptr);

    void setModel(const ModelInfo& info);
    void showSnapshot(const InspectSnapshot& s);
    int currentLayer() const { return m_layer; }
    void setCurrentLayer(int layer);
    void nextLayer() { setCurrentLayer(m_layer + 1); }
    void previousLayer() { setCurrentLayer(m_layer - 1); }
    /// Selects unit (channel, i, j) of the current layer, as a click on the grid does.
    void selectUnit(int channel, int i, int j);
    /// Loads an image file (any OpenCV format) as the input; returns an error or "".
    QString openImage(const QString& path);

    MapGrid* grid() const { return m_grid; }
    InputView* inputView() const { return m_input; }
    QCustomPlot* probabilityPlot() const { return m_probPlot; }
    QTableView* list() const { return m_list; }
    LayerListModel* layerModel() const { return m_layers; }
    const QString& statsText() const;
    const InspectSnapshot& lastSnapshot() const { return m_snap; }
    /// 0 effective receptive field, 1 saliency, 2 Grad-CAM; cls -1: the predicted class.
    void setOverlay(int overlay, int cls = -1);

signals:
    void inspectionRequested(const ll::ui::InspectRequest& r);

protected:
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    void request();
    void updateRegion();

    ModelInfo m_info;
    int m_layer = 0;
    int m_serial = 0;
    InspectRequest m_req;
    bool m_haveUnit = false;
    InspectSnapshot m_snap;
    LayerListModel* m_layers;
    QTableView* m_list;
    QSlider* m_slider;
    QSpinBox* m_index;
    QComboBox* m_class;
    QCheckBox* m_filters;
    QCheckBox* m_shared;
    QCheckBox* m_erf;
    QComboBox* m_overlay;
    QSpinBox* m_overlayClass;
    QLabel* m_title;
    QLabel* m_stats;
    QLabel* m_unit;
    QLabel* m_source;
    MapGrid* m_grid;
    InputView* m_input;
    QCustomPlot* m_probPlot;
    QCPBars* m_probBars;
    QVector<QString> m_classNames;  // for the top-5 bars of a many-class model
    QString m_statsText;
};

/// PgUp/PgDn (and ←/→ outside text fields) step `layers`' layers whenever it is the tab shown,
/// wherever the focus is in `window`: a focused spin box must not change a setting instead.
/// Installed on the application (it sees keys before the focused widget does).
class LayerKeys : public QObject {
public:
    LayerKeys(QWidget* window, QTabWidget* tabs, LayersView* layers);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QWidget* m_window;
    QTabWidget* m_tabs;
    LayersView* m_layers;
};

}  // namespace ll::ui
