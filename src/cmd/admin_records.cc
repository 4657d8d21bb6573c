#include "cmd/admin_records.h"

#include "ca/cert_info.h"
#include "core/clock.h"
#include "ra/ari.h"

namespace flint::cmd {
namespace json = boost::json;

namespace {

json::value Time(const std::optional<core::TimePoint>& t) {
  if (!t) return nullptr;
  return json::value(core::FormatRfc3339(*t));
}

std::string IdentifierText(const core::Identifier& id) {
  return std::string(core::ToString(id.type)) + ":" + id.value;
}

json::array Identifiers(const std::vector<core::Identifier>& ids) {
  json::array out;
  for (const core::Identifier& id : ids) out.emplace_back(IdentifierText(id));
  return out;
}

// Plain-text rendering of one value: strings as they are (quoted when they hold spaces, quotes
// or nothing), arrays comma-joined, null as "-".
std::string Plain(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "-";
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::string: {
      std::string s(v.get_string());
      if (!s.empty() && s.find_first_of(" \t\"=") == std::string::npos) return s;
      return json::serialize(v);  // JSON string syntax: quoted and escaped
    }
    case json::kind::array: {
      std::string out;
      for (const json::value& el : v.get_array()) out += (out.empty() ? "" : ",") + Plain(el);
      return out.empty() ? "-" : out;
    }
    default:
      return json::serialize(v);
  }
}

}  // namespace

json::object EabKeyRecord(const sa::EabKey& key) {
  json::object o;
  o["key_id"] = key.key_id;
  o["status"] = key.revoked_at ? "revoked" : key.account_id ? "bound" : "unused";
  o["account"] = key.account_id ? json::value(key.account_id->value) : json::value(nullptr);
  o["created"] = core::FormatRfc3339(key.created_at);
  o["revoked"] = Time(key.revoked_at);
  o["note"] = key.note;
  return o;
}

json::object AccountRecord(const core::Account& a, bool detail) {
  json::object o;
  o["id"] = a.id.value;
  o["status"] = core::ToString(a.status);
  json::array contacts;
  for (const std::string& c : a.contacts) contacts.emplace_back(c);
  o["contacts"] = std::move(contacts);
  o["eab_key_id"] = a.eab_key_id.empty() ? json::value(nullptr) : json::value(a.eab_key_id);
  o["created"] = core::FormatRfc3339(a.created_at);
  if (detail) {
    o["thumbprint"] = a.jwk_thumbprint;
    o["tos_agreed"] = a.terms_of_service_agreed;
    o["jwk"] = a.jwk_json;
  }
  return o;
}

json::object OrderRecord(const core::Order& ord, bool detail) {
  json::object o;
  o["id"] = ord.id.value;
  o["account"] = ord.account_id.value;
  o["status"] = core::ToString(ord.status);
  o["profile"] = ord.profile;
  o["identifiers"] = Identifiers(ord.identifiers);
  o["certificate"] =
      ord.certificate_id ? json::value(ord.certificate_id->value) : json::value(nullptr);
  o["created"] = core::FormatRfc3339(ord.created_at);
  o["expires"] = core::FormatRfc3339(ord.expires);
  if (detail) {
    o["replaces"] = ord.replaces.empty() ? json::value(nullptr) : json::value(ord.replaces);
    o["not_before"] = Time(ord.not_before);
    o["not_after"] = Time(ord.not_after);
    json::array authzs;
    for (core::AuthzId id : ord.authz_ids) authzs.emplace_back(id.value);
    o["authorizations"] = std::move(authzs);
    o["error"] = ord.error ? json::value(std::string(core::ErrorTypeName(ord.error->type)) + ": " +
                                         ord.error->detail)
                           : json::value(nullptr);
  }
  return o;
}

json::object CertificateRecord(const core::Certificate& c, bool detail) {
  json::object o;
  o["serial"] = c.serial_hex;
  o["id"] = c.id.value;
  o["account"] = c.account_id.value;
  o["order"] = c.order_id.value;
  o["not_before"] = core::FormatRfc3339(c.not_before);
  o["not_after"] = core::FormatRfc3339(c.not_after);
  o["status"] = c.revoked ? "revoked" : "valid";
  o["reason"] = c.revoked ? json::value(c.revocation_reason) : json::value(nullptr);
  o["revoked"] = Time(c.revoked_at);
  if (detail) {
    auto facts = ca::ParseCertificateDer(c.der);
    if (facts.ok()) {
      o["identifiers"] = Identifiers(facts->identifiers);
      o["spki_sha256"] = facts->spki_sha256;
    }
    auto cert_id = ra::CertIdOf(c.der);
    o["ari_cert_id"] = cert_id.ok() ? json::value(ra::FormatCertId(*cert_id)) : nullptr;
    o["pem"] = c.chain_pem;
  }
  return o;
}

void PrintList(std::ostream& out, const std::vector<json::object>& records, bool as_json) {
  if (as_json) {
    json::array arr(records.begin(), records.end());
    out << json::serialize(arr) << "\n";
    return;
  }
  for (const json::object& r : records) {
    std::string line;
    for (const auto& [k, v] : r)
      line += (line.empty() ? "" : " ") + std::string(k) + "=" + Plain(v);
    out << line << "\n";
  }
}

void PrintRecord(std::ostream& out, const json::object& record, bool as_json) {
  if (as_json) {
    out << json::serialize(record) << "\n";
    return;
  }
  const json::value* pem = nullptr;
  for (const auto& [k, v] : record) {
    if (k == "pem") {
      pem = &v;
      continue;
    }
    out << std::string(k) << ": " << Plain(v) << "\n";
  }
  if (pem != nullptr && pem->is_string()) out << std::string(pem->get_string());
}

}  // namespace flint::cmd
