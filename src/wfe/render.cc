#include "wfe/render.h"

#include <boost/json.hpp>

#include "core/json.h"

namespace flint::wfe {

boost::json::value RenderAccount(const Services& s, const core::Account& a) {
  boost::json::object o;
  o["status"] = ToString(a.status);
  boost::json::array contacts;
  for (const std::string& c : a.contacts) contacts.emplace_back(c);
  o["contact"] = std::move(contacts);
  if (a.terms_of_service_agreed) o["termsOfServiceAgreed"] = true;
  auto key = core::ParseStrictJson(a.jwk_json);
  if (key.ok()) o["key"] = std::move(key).value();
  o["orders"] = s.urls.AccountOrders(a.id);
  o["createdAt"] = core::FormatRfc3339(a.created_at);
  return o;
}

}  // namespace flint::wfe

#include <ctime>

#include "wfe/problem.h"

namespace flint::wfe {

boost::json::value RenderIdentifier(const core::Identifier& id) {
  return {{"type", core::ToString(id.type)}, {"value", id.value}};
}

boost::json::value RenderOrder(const Services& s, const core::Order& o) {
  boost::json::object j;
  j["status"] = core::ToString(o.status);
  j["expires"] = core::FormatRfc3339(o.expires);
  boost::json::array ids;
  for (const core::Identifier& id : o.identifiers) ids.push_back(RenderIdentifier(id));
  j["identifiers"] = std::move(ids);
  if (o.not_before) j["notBefore"] = core::FormatRfc3339(*o.not_before);
  if (o.not_after) j["notAfter"] = core::FormatRfc3339(*o.not_after);
  if (!o.profile.empty()) j["profile"] = o.profile;     // draft-aaron-acme-profiles
  if (!o.replaces.empty()) j["replaces"] = o.replaces;  // RFC 9773 §5
  boost::json::array authzs;
  for (core::AuthzId a : o.authz_ids) authzs.emplace_back(s.urls.Authz(a));
  j["authorizations"] = std::move(authzs);
  j["finalize"] = s.urls.Finalize(o.id);
  if (o.certificate_id) j["certificate"] = s.urls.Certificate(*o.certificate_id);
  if (o.error) j["error"] = ProblemValue(*o.error, 0);
  return j;
}

boost::json::value RenderChallenge(const Services& s, const core::Challenge& c) {
  boost::json::object j;
  j["type"] = core::ToString(c.type);
  j["url"] = s.urls.Challenge(c.id);
  j["status"] = core::ToString(c.status);
  j["token"] = c.token;
  // RFC 8555 §7.1.5: "validated" belongs to a valid challenge only (older stores also dated
  // failures).
  if (c.validated_at && c.status == core::ChallengeStatus::kValid)
    j["validated"] = core::FormatRfc3339(*c.validated_at);
  if (c.error) j["error"] = ProblemValue(*c.error, 0);
  return j;
}

boost::json::value RenderAuthorization(const Services& s, const core::Authorization& a) {
  boost::json::object j;
  j["identifier"] = RenderIdentifier(a.identifier);
  j["status"] = core::ToString(a.status);
  j["expires"] = core::FormatRfc3339(a.expires);
  boost::json::array chals;
  for (const core::Challenge& c : a.challenges) {
    // RFC 8555 §7.1.4: a valid authorization lists the challenge that validated it (others may
    // be omitted); keep them all but pending ones stay answerable only while pending.
    chals.push_back(RenderChallenge(s, c));
  }
  j["challenges"] = std::move(chals);
  if (a.wildcard) j["wildcard"] = true;
  return j;
}

std::optional<core::TimePoint> ParseRfc3339(std::string_view t) {
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > t.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!digits(0, 4, Y) || t.size() < 20 || t[4] != '-' || !digits(5, 2, M) || t[7] != '-' ||
      !digits(8, 2, D) || (t[10] != 'T' && t[10] != 't') || !digits(11, 2, h) || t[13] != ':' ||
      !digits(14, 2, m) || t[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  int offset = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !digits(pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (oh * 60 + om) * 60 * (t[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  // A day past the month's end ("2026-02-30") would be normalized by timegm into another date.
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
  if (D > kDaysIn[M - 1] || (M == 2 && D == 29 && !leap)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  const int64_t unix_seconds = static_cast<int64_t>(timegm(&tm)) - offset;
  // TimePoint counts nanoseconds in 64 bits: beyond about 1677-2262 a date would wrap around
  // (into today's date, say), so such dates are refused rather than misread.
  using std::chrono::duration_cast;
  const int64_t max =
      duration_cast<std::chrono::seconds>(core::TimePoint::max().time_since_epoch()).count();
  const int64_t min =
      duration_cast<std::chrono::seconds>(core::TimePoint::min().time_since_epoch()).count();
  if (unix_seconds >= max || unix_seconds <= min) return std::nullopt;
  return core::FromUnixSeconds(unix_seconds);
}

}  // namespace flint::wfe
