// The one way autolr turns JSON into text (src/core/json_text.h).

#include "core/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/printable.h"

namespace autolr {
namespace {

TEST(JsonText, WritesValidUtf8ForAStringThatIsNot) {
  // A folder name from a Latin-1 system: "caf\xe9", and a lone \xff.
  const nlohmann::ordered_json value = {{"directory", "caf\xe9/\xff"}, {"steps", 3}};
  EXPECT_THROW((void)value.dump(), nlohmann::json::type_error) << "what nlohmann does on its own";
  const std::string text = detail::json_text(value);
  EXPECT_EQ(text, "{\"directory\":\"caf\xEF\xBF\xBD/\xEF\xBF\xBD\",\"steps\":3}");
  EXPECT_TRUE(detail::valid_utf8(text));
  EXPECT_EQ(nlohmann::json::parse(text)["directory"], "caf\xEF\xBF\xBD/\xEF\xBF\xBD");
  EXPECT_EQ(detail::json_text(value, 2), "{\n  \"directory\": \"caf\xEF\xBF\xBD/\xEF\xBF\xBD\",\n  \"steps\": 3\n}");
}

TEST(JsonText, ValidUtf8AcceptsWhatJsonMayHoldAndNothingElse) {
  EXPECT_TRUE(detail::valid_utf8(""));
  EXPECT_TRUE(detail::valid_utf8("runs/caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88"));
  EXPECT_FALSE(detail::valid_utf8("\xff"));
  EXPECT_FALSE(detail::valid_utf8("caf\xC3")) << "cut short";
  EXPECT_FALSE(detail::valid_utf8("\xC0\xAF")) << "overlong";
  EXPECT_FALSE(detail::valid_utf8("\xED\xA0\x80")) << "a surrogate";
}

}  // namespace
}  // namespace autolr
