#include "core/json.h"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <string>
#include <unordered_set>
#include <vector>

namespace flint::core {
namespace {

namespace json = boost::json;

// A basic_parser handler that builds a value through value_stack (as json::parser does) while
// tracking the keys of each open object to refuse duplicates, and refusing doubles.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = 1000;
  static constexpr std::size_t max_array_size = 10000;
  static constexpr std::size_t max_key_size = 4096;
  static constexpr std::size_t max_string_size = 1 << 20;

  explicit StrictHandler(int max_depth) : max_depth_(max_depth) {}

  json::value_stack st;
  std::string failure;

  bool on_document_begin(json::error_code&) {
    st.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code& ec) { return Enter(ec); }
  bool on_array_end(std::size_t n, json::error_code&) {
    --depth_;
    st.push_array(n);
    return true;
  }
  bool on_object_begin(json::error_code& ec) {
    if (!Enter(ec)) return false;
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    --depth_;
    keys_.pop_back();
    st.push_object(n);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    if (!keys_.back().insert(key_).second) {
      failure = "duplicate JSON key \"" + key_.substr(0, 64) + "\"";
      key_.clear();
      ec = json::error::syntax;
      return false;
    }
    key_.clear();
    st.push_key(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double, json::string_view, json::error_code& ec) {
    failure = "non-integral JSON numbers are not accepted";
    ec = json::error::syntax;
    return false;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  bool Enter(json::error_code& ec) {
    if (++depth_ > max_depth_) {
      failure = "JSON nesting too deep";
      ec = json::error::too_deep;
      return false;
    }
    return true;
  }

  int max_depth_;
  int depth_ = 0;
  std::vector<std::unordered_set<std::string>> keys_;
  std::string key_;
};

}  // namespace

Result<boost::json::value> ParseStrictJson(std::string_view text, int max_depth) {
  json::parse_options opts;
  opts.max_depth = static_cast<std::size_t>(max_depth) + 1;
  opts.allow_comments = false;
  opts.allow_trailing_commas = false;
  opts.allow_invalid_utf8 = false;
  json::basic_parser<StrictHandler> p(opts, max_depth);
  json::error_code ec;
  std::size_t n = p.write_some(false, text.data(), text.size(), ec);
  if (!ec && n != text.size()) ec = json::error::extra_data;
  if (ec) {
    std::string why = p.handler().failure.empty() ? "invalid JSON: " + ec.message()
                                                  : p.handler().failure;
    return Err(ErrorType::kMalformed, why);
  }
  return p.handler().st.release();
}

std::string SerializeJson(const boost::json::value& v) { return json::serialize(v); }

}  // namespace flint::core
