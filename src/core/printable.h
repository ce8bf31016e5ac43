#pragma once
// Text that came from outside (a file, a file name, a command line) made safe
// to show: in a one-line message and in an XML document. Internal to autolr.

#include <cstddef>
#include <string>
#include <string_view>

namespace autolr::detail {

/// The length of the valid UTF-8 sequence starting at text[at] (1 to 4), or 0
/// when the bytes there are not one (a stray continuation byte, a cut or
/// overlong sequence, a surrogate, a code point past U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

/// Whether all of `text` is valid UTF-8 (JSON's encoding, RFC 8259).
bool valid_utf8(std::string_view text);

/// The longest quoted value a message shows, in characters.
inline constexpr std::size_t kMessageValueChars = 80;

/// `text` for a one-line message: control bytes, DEL and bytes that are not
/// valid UTF-8 written as \xNN (so a NUL cannot end the message early and a
/// newline cannot start a second line), and cut after `max_chars` characters
/// with "..." (so a 10 MB header is not a 10 MB message).
std::string for_message(std::string_view text, std::size_t max_chars = kMessageValueChars);

}  // namespace autolr::detail
