#include "ui/ui_info.h"

#include <qcustomplot.h>

namespace ll::ui {

QString guiStackVersions() {
    return QStringLiteral("Qt %1, QCustomPlot %2")
        .arg(QString::fromLatin1(qVersion()), QStringLiteral(QCUSTOMPLOT_VERSION_STR));
}

}  // namespace ll::ui
