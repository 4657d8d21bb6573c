#include "wfe/http_util.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

namespace flint::wfe {

std::string HttpDate(core::TimePoint t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void SplitTarget(std::string_view target, std::string* path, std::string* query) {
  const size_t q = target.find('?');
  std::string_view p = target.substr(0, q);
  if (q != std::string_view::npos) *query = std::string(target.substr(q + 1));
  if (!p.empty() && p.front() != '/' && p != "*") {
    const size_t scheme = p.find("://");
    if (scheme != std::string_view::npos) {
      const size_t slash = p.find('/', scheme + 3);
      p = slash == std::string_view::npos ? std::string_view("/") : p.substr(slash);
    }
  }
  *path = std::string(p);
}

std::string PathOf(std::string_view target) {
  std::string path, query;
  SplitTarget(target, &path, &query);
  return path;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsSafeHeader(std::string_view name, std::string_view value) {
  auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  return !name.empty() && std::none_of(name.begin(), name.end(), bad) &&
         name.find_first_of(" \t:") == std::string_view::npos &&
         std::none_of(value.begin(), value.end(), bad);
}

}  // namespace flint::wfe
