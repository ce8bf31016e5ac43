#pragma once
/// CSV files of range-test curves: a header row, then one row per step.
/// Columns `lr` and `loss` are required, `smooth_loss` is optional, any other
/// column (an index written by pandas, `step`, ...) is ignored. Losses may be
/// `nan` or `inf` (a diverged tail); learning rates must be finite, > 0 and
/// strictly increasing. Fields may be quoted as RFC 4180 says and pandas
/// writes them ("a,b", doubled quotes); a UTF-8 byte order mark is skipped.
/// Every line ends with a newline, as autolr and pandas write them: a last
/// line without one is a file cut short and is rejected.

#include <cstddef>
#include <iosfwd>
#include <string>

#include "autolr/curve.h"

namespace autolr {

/// The reader's limits, so that no file (not even /dev/zero) can make it take
/// more memory than a curve could need: the longest line, and the most rows
/// (3 doubles each: 240 MB at the limit).
inline constexpr std::size_t kMaxCurveLineBytes = std::size_t{1} << 20;  // 1 MiB
inline constexpr std::size_t kMaxCurveRows = 10'000'000;

/// Reads a curve file. With a `smooth_loss` column the smoothing is
/// SmoothingSource::Recorded, else it is computed (EMA beta 0.98).
/// Throws FormatError("<path>, row R (line L), column C: ...") on the first
/// problem: missing file, a directory, empty file, a blank first line, header
/// only, a single row, text in a number column, a missing or repeated column,
/// NaN/inf/non-positive or non-increasing learning rates, a cut last line, an
/// unclosed quote, a line or row count past the limits above. Values from the
/// file are shown escaped and cut at 80 characters.
LRCurve read_curve_csv(const std::string& path);

/// Same as read_curve_csv, from a stream; `source_name` stands for the file in
/// messages.
LRCurve parse_curve_csv(std::istream& in, const std::string& source_name);

/// Writes `lr,loss,smooth_loss` with enough digits to read back every double
/// exactly. Throws FormatError if the file cannot be written.
void write_curve_csv(const LRCurve& curve, const std::string& path);
void write_curve_csv(const LRCurve& curve, std::ostream& out);

}  // namespace autolr
