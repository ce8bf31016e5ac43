#pragma once
/// CSV files of range-test curves: a header row, then one row per step.
/// Columns `lr` and `loss` are required, `smooth_loss` is optional, any other
/// column (an index written by pandas, `step`, ...) is ignored. Losses may be
/// `nan` or `inf` (a diverged tail); learning rates must be finite, > 0 and
/// strictly increasing.

#include <iosfwd>
#include <string>

#include "autolr/curve.h"

namespace autolr {

/// Reads a curve file. With a `smooth_loss` column the smoothing is
/// SmoothingSource::Recorded, else it is computed (EMA beta 0.98).
/// Throws FormatError("<path>, row R (line L), column C: ...") on the first
/// problem: missing file, empty file, header only, a single row, text in a
/// number column, a missing or repeated column, NaN/inf/non-positive or
/// non-increasing learning rates.
LRCurve read_curve_csv(const std::string& path);

/// Same as read_curve_csv, from a stream; `source_name` stands for the file in
/// messages.
LRCurve parse_curve_csv(std::istream& in, const std::string& source_name);

/// Writes `lr,loss,smooth_loss` with enough digits to read back every double
/// exactly. Throws FormatError if the file cannot be written.
void write_curve_csv(const LRCurve& curve, const std::string& path);
void write_curve_csv(const LRCurve& curve, std::ostream& out);

}  // namespace autolr
