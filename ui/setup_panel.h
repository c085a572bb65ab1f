#pragma once
// The setup dock: model, data, optimizer and hyper-parameters, seed, the run buttons and the
// progress of the epoch and of the whole run.

#include <QStringList>
#include <QWidget>

#include "ui/training_worker.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace ll::ui {

class SetupPanel : public QWidget {
    Q_OBJECT
public:
    explicit SetupPanel(QWidget* parent = nullptr);

    /// The settings as the controls show them (preloaded data is left to the caller).
    RunSettings settings() const;
    /// Everything the controls hold, the model list included: what a failed load goes back to.
    struct State {
        QStringList models;
        QString model, dataset, dataDir, optimizer, lossName;
        QString lrSchedule = "constant";  // the text parseLrSchedule reads
        double lr = 0, momentum = 0, weightDecay = 0, labelNoise = 0;
        int batch = 0, epochs = 0, subset = 0, seed = 0;
        bool rawPixels = false;
        bool augment = false;
    };
    State saveState() const;
    /// Sets every control to `s` without emitting modelOrDataChanged (nothing is loaded).
    void restoreState(const State& s);
    /// Fills the hyper-parameters from a model's defaults (on model change).
    void applyModelDefaults(const QString& model);
    void setModel(const QString& model);  // a preset name or a file path (added to the list)
    QString model() const;
    /// The models the Model list offers (presets, then files opened), in order.
    QStringList modelChoices() const;
    QLineEdit* dataDirEdit() const { return m_dataDir; }
    void setDataDir(const QString& dir);
    QString dataDir() const;
    void setDataset(const QString& dataset);  // mnist | cifar10 | synthetic-digits | ...
    QString dataset() const;
    void setEpochs(int epochs);
    void setBatch(int batch);
    void setTrainingSubset(int count);  // 0: all
    void setSeed(int seed);
    void setLabelNoise(double p);
    /// The training settings of a saved run (Same start): optimizer, learning rate and its
    /// schedule, momentum, weight decay and loss (the loss is not shown: it comes with the model).
    void setTraining(const QString& optimizer, double lr, const LrSchedule& schedule,
                     double momentum, double weightDecay, const QString& loss);
    /// Shows `schedule` in the schedule list (added to it when it is not one of the offered).
    void setLrSchedule(const LrSchedule& schedule);
    LrSchedule lrSchedule() const;

    void setRunning(bool running, bool paused);
    void setProgress(int batchInEpoch, int batchesPerEpoch, int epoch, int epochs,
                     double etaSeconds);

    QPushButton* trainButton() const { return m_train; }
    QPushButton* pauseButton() const { return m_pause; }
    QPushButton* stepButton() const { return m_step; }
    QPushButton* stopButton() const { return m_stop; }
    /// "epoch 2/5, about 0:47 left" while a run trains; empty otherwise.
    QString etaText() const;
    /// The run bar's value and maximum (tests).
    int runProgress() const;
    int runProgressMaximum() const;

signals:
    /// dataChanged: the data set or folder changed (not only the model).
    void modelOrDataChanged(bool dataChanged);
    void learningRateEdited(double lr);

private:
    QComboBox* m_model;
    QComboBox* m_dataset;
    QLineEdit* m_dataDir;
    QString m_shownDir;  // the folder last set or entered (editingFinished also means focus out)
    QComboBox* m_optimizer;
    QDoubleSpinBox* m_lr;
    QComboBox* m_lrSchedule;
    QDoubleSpinBox* m_momentum;
    QSpinBox* m_batch;
    QSpinBox* m_epochs;
    QDoubleSpinBox* m_weightDecay;
    QDoubleSpinBox* m_labelNoise;
    QSpinBox* m_subset;
    QSpinBox* m_seed;
    QPushButton* m_train;
    QPushButton* m_pause;
    QPushButton* m_step;
    QPushButton* m_stop;
    QProgressBar* m_epochBar;
    QProgressBar* m_runBar;
    QLabel* m_eta;
    QString m_lossName = "cross_entropy";
    bool m_rawPixels = false;
    bool m_augment = false;  // the model's default: random crops and flips
};

}  // namespace ll::ui
