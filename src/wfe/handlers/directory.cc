// RFC 8555 §7.1.1: the directory object, with `meta` from configuration.
#include <boost/json.hpp>

#include "wfe/handlers/handlers.h"

namespace flint::wfe::handlers {

std::string DirectoryJson(const Services& s) {
  boost::json::object d;
  d["newNonce"] = s.urls.NewNonce();
  d["newAccount"] = s.urls.NewAccount();
  d["newOrder"] = s.urls.NewOrder();
  d["newAuthz"] = s.urls.NewAuthz();  // §7.4.1 pre-authorization
  d["revokeCert"] = s.urls.RevokeCert();
  d["keyChange"] = s.urls.KeyChange();
  d["renewalInfo"] = s.urls.RenewalInfo();  // RFC 9773 §3
  boost::json::object meta;
  if (!s.options.terms_of_service.empty()) meta["termsOfService"] = s.options.terms_of_service;
  if (!s.options.website.empty()) meta["website"] = s.options.website;
  boost::json::array caa;
  for (const std::string& c : s.options.caa_identities) caa.emplace_back(c);
  meta["caaIdentities"] = std::move(caa);
  meta["externalAccountRequired"] = s.options.external_account_required;
  boost::json::object profiles;  // draft-aaron-acme-profiles: name -> description
  for (const ra::Profile& p : s.ra.profiles()) profiles[p.name] = p.description;
  meta["profiles"] = std::move(profiles);
  d["meta"] = std::move(meta);
  return boost::json::serialize(d);
}

core::Result<Reply> Directory(Services& s) {
  Reply r;
  r.body = s.directory_json;  // rendered by WebFrontEnd's constructor
  return r;
}

}  // namespace flint::wfe::handlers
