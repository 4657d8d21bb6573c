#include "ra/audit_records.h"

#include "core/clock.h"

namespace flint::ra {

boost::json::array IdentifiersJson(const std::vector<core::Identifier>& identifiers) {
  boost::json::array out;
  for (const core::Identifier& id : identifiers) {
    out.push_back(boost::json::object{{"type", core::ToString(id.type)}, {"value", id.value}});
  }
  return out;
}

boost::json::object AccountAuditRecord(std::string_view action, const core::Account& account,
                                       const std::string& account_url) {
  boost::json::object r;
  r["action"] = action;
  if (!account_url.empty()) r["account"] = account_url;
  r["account_id"] = account.id.value;
  r["status"] = core::ToString(account.status);
  boost::json::array contacts;
  for (const std::string& c : account.contacts) contacts.emplace_back(c);
  r["contacts"] = std::move(contacts);
  r["key_thumbprint"] = account.jwk_thumbprint;
  if (!account.eab_key_id.empty()) r["eab_key_id"] = account.eab_key_id;
  r["result"] = "success";
  return r;
}

boost::json::object IssuanceAuditRecord(const core::Order& order, const std::string& account_url,
                                        const core::Certificate* cert, const core::Error* error) {
  boost::json::object r;
  r["account"] = account_url;
  r["account_id"] = order.account_id.value;
  r["order"] = order.id.value;
  r["identifiers"] = IdentifiersJson(order.identifiers);
  r["profile"] = order.profile;
  r["result"] = cert != nullptr ? "valid" : "invalid";
  if (cert != nullptr) {
    r["serial"] = cert->serial_hex;
    r["not_before"] = core::FormatRfc3339(cert->not_before);
    r["not_after"] = core::FormatRfc3339(cert->not_after);
  }
  if (error != nullptr) {
    r["error"] = {{"type", core::ErrorTypeName(error->type)}, {"detail", error->detail}};
  }
  return r;
}

boost::json::object RevocationAuditRecord(const core::Certificate& cert,
                                          const RevocationRequest& request,
                                          const std::string& account_url) {
  boost::json::object r;
  r["account"] = account_url;
  r["account_id"] = cert.account_id.value;
  r["serial"] = cert.serial_hex;
  r["reason"] = cert.revocation_reason;
  if (request.admin) {
    r["requester"] = "operator";
    if (!request.admin_note.empty()) r["note"] = request.admin_note;
  } else if (request.account) {
    r["requester"] = "account";
    r["requester_account_id"] = request.account->id.value;
  } else {
    r["requester"] = "certificate_key";
  }
  if (cert.revoked_at) r["revoked_at"] = core::FormatRfc3339(*cert.revoked_at);
  r["result"] = "success";
  return r;
}

}  // namespace flint::ra
