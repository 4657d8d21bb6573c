#include "ra/ra.h"

#include "policy/key_policy.h"

#include <algorithm>

#include "ra/account_recovery.h"
#include "ra/audit_records.h"
#include "ra/eab.h"

namespace flint::ra {

using core::Err;
using core::ErrorType;

namespace {

bool IsDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.';
}

bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=^_`{|}~.").find(c) != std::string_view::npos;
}

}  // namespace

Result<void> CheckContact(const std::string& contact) {
  constexpr std::string_view kMailto = "mailto:";
  if (contact.size() > 320)
    return Err(ErrorType::kInvalidContact, "contact is too long");
  if (contact.compare(0, kMailto.size(), kMailto) != 0) {
    auto colon = contact.find(':');
    std::string scheme = colon == std::string::npos ? contact : contact.substr(0, colon);
    if (scheme.size() > 32) scheme = scheme.substr(0, 32);
    return Err(ErrorType::kUnsupportedContact,
               "contact scheme \"" + scheme + "\" is not supported; only mailto: is");
  }
  std::string addr = contact.substr(kMailto.size());
  if (addr.find('?') != std::string::npos)
    return Err(ErrorType::kInvalidContact, "contact email has hfields, which are not allowed");
  if (addr.find(',') != std::string::npos || addr.find('%') != std::string::npos)
    return Err(ErrorType::kInvalidContact, "a contact must hold exactly one email address");
  auto at = addr.find('@');
  if (at == std::string::npos || at == 0 || addr.find('@', at + 1) != std::string::npos)
    return Err(ErrorType::kInvalidContact, "contact \"" + contact + "\" is not an email address");
  std::string local = addr.substr(0, at), domain = addr.substr(at + 1);
  bool local_ok = local.size() <= 64 && std::all_of(local.begin(), local.end(), IsAtext) &&
                  local.front() != '.' && local.back() != '.';
  bool domain_ok = !domain.empty() && domain.size() <= 253 &&
                   std::all_of(domain.begin(), domain.end(), IsDomainChar) &&
                   domain.find('.') != std::string::npos && domain.front() != '.' &&
                   domain.back() != '.' && domain.find("..") == std::string::npos;
  if (!local_ok || !domain_ok)
    return Err(ErrorType::kInvalidContact, "contact \"" + contact + "\" is not a valid email address");
  return core::Ok();
}

RegistrationAuthority::RegistrationAuthority(RaOptions options, sa::Store& store,
                                             const core::Clock& clock, core::Random& random,
                                             const policy::IdentifierPolicy& policy,
                                             const Validator& validator,
                                             const CertificateAuthority& ca)
    : options_(std::move(options)),
      store_(store),
      clock_(clock),
      random_(random),
      policy_(policy),
      validator_(validator),
      ca_(ca),
      validation_pool_(static_cast<size_t>(std::max(1, options_.validation_workers))) {
  if (options_.profiles.empty()) {
    Profile p;
    p.name = options_.default_profile;
    p.description = "the default profile";
    p.validity = options_.cert_validity;
    options_.profiles.push_back(std::move(p));
  }
}

RegistrationAuthority::~RegistrationAuthority() {
  {
    // Outcomes still to come from the validator are dropped: their challenges stay
    // `processing` and are resumed by RecoverAbandonedWork.
    std::lock_guard<std::mutex> lock(completions_->mu);
    completions_->open = false;
  }
  validation_pool_.stop();
  validation_pool_.join();
}

Result<void> RegistrationAuthority::CheckContacts(const std::vector<std::string>& contacts) const {
  if (static_cast<int>(contacts.size()) > options_.max_contacts)
    return Err(ErrorType::kInvalidContact,
               "too many contacts: at most " + std::to_string(options_.max_contacts));
  for (const std::string& c : contacts) FLINT_TRY(CheckContact(c));
  return core::Ok();
}

Result<NewAccountResult> RegistrationAuthority::NewAccount(const jose::PublicKey& key,
                                                           const NewAccountRequest& req) {
  // RFC 8555 §7.6: a key revoked for keyCompromise is refused as an account key.
  FLINT_TRY(CheckKeyNotBlocked(store_, key, ErrorType::kBadPublicKey));
  // RFC 8555 §7.3.1: a known key answers with the existing account.
  auto existing = store_.GetAccountByThumbprint(key.thumbprint());
  if (existing.ok()) {
    if (existing->status != core::AccountStatus::kValid)
      return Err(ErrorType::kUnauthorized, "the account for this key is deactivated");
    return NewAccountResult{std::move(existing).value(), false};
  }
  if (existing.error().type != ErrorType::kNotFound) return std::move(existing).error();
  if (req.only_return_existing)
    return Err(ErrorType::kAccountDoesNotExist, "no account exists with the provided key");
  FLINT_TRY(policy::CheckAccountKey(key.pkey()));
  if (options_.external_account_required && !req.external_account_binding)
    return Err(ErrorType::kExternalAccountRequired,
               "this server requires an external account binding (RFC 8555 §7.3.4)");
  if (!options_.terms_of_service.empty() && !req.terms_of_service_agreed)
    return Err(ErrorType::kMalformed, "you must agree to the terms of service (" +
                                          options_.terms_of_service + ")");
  FLINT_TRY(CheckContacts(req.contacts));
  std::string eab_key_id;
  if (const auto& eab = req.external_account_binding) {
    FLINT_ASSIGN_OR_RETURN(eab_key_id, VerifyExternalAccountBinding(store_, key, *eab));
  }
  if (rate_limiter_) FLINT_TRY(rate_limiter_->NewAccount(req.client_address));

  core::Account acct;
  acct.eab_key_id = eab_key_id;
  acct.contacts = req.contacts;
  acct.jwk_json = key.canonical_json();
  acct.jwk_thumbprint = key.thumbprint();
  acct.terms_of_service_agreed = req.terms_of_service_agreed;
  acct.created_at = clock_.Now();
  auto created = store_.CreateAccount(std::move(acct));
  if (created.ok()) {
    boost::json::object record =
        AccountAuditRecord("new_account", *created, AccountUrl(created->id));
    if (!req.client_address.empty()) record["client_address"] = req.client_address;
    audit_->Record("account", std::move(record));
    return NewAccountResult{std::move(created).value(), true};
  }
  if (created.error().type != ErrorType::kConflict) return std::move(created).error();
  // Lost a race with a concurrent newAccount for the same key: answer with the winner. Else
  // the EAB key was bound (or revoked) by a concurrent request: §7.3.4 allows one account.
  auto winner = store_.GetAccountByThumbprint(key.thumbprint());
  if (winner.ok()) return NewAccountResult{std::move(winner).value(), false};
  if (winner.error().type == ErrorType::kNotFound && !eab_key_id.empty())
    return Err(ErrorType::kUnauthorized, "external account binding key is already used");
  return std::move(winner).error();
}

Result<core::Account> RegistrationAuthority::UpdateContacts(core::AccountId id,
                                                            std::vector<std::string> contacts) {
  FLINT_TRY(CheckContacts(contacts));
  auto r = store_.UpdateAccountContacts(id, std::move(contacts));
  if (!r.ok() && r.error().type == ErrorType::kConflict)
    return Err(ErrorType::kUnauthorized, "account is not valid");
  if (r.ok()) audit_->Record("account", AccountAuditRecord("contact_update", *r, AccountUrl(id)));
  return r;
}

Result<core::Account> RegistrationAuthority::DeactivateAccount(core::AccountId id) {
  auto r = store_.DeactivateAccount(id);
  if (!r.ok() && r.error().type == ErrorType::kConflict)
    return Err(ErrorType::kUnauthorized, "account is not valid");
  if (r.ok()) audit_->Record("account", AccountAuditRecord("deactivation", *r, AccountUrl(id)));
  return r;
}

Result<core::Account> RegistrationAuthority::ChangeKey(const KeyChangeRequest& req) {
  FLINT_ASSIGN_OR_RETURN(core::Account acct, store_.GetAccount(req.account));
  if (acct.status != core::AccountStatus::kValid)
    return Err(ErrorType::kUnauthorized, "account is not valid");
  if (req.old_key.thumbprint() != acct.jwk_thumbprint)
    return Err(ErrorType::kMalformed, "keyChange: oldKey is not the account's current key");
  FLINT_TRY(CheckReplacementAccountKey(store_, acct, req.new_key, "keyChange"));
  auto changed = store_.ChangeAccountKey(req.account, acct.jwk_thumbprint,
                                         req.new_key.canonical_json(), req.new_key.thumbprint());
  if (!changed.ok() && changed.error().type == ErrorType::kConflict) {
    // A concurrent request took the key (or changed ours) between the check and the write.
    auto winner = store_.GetAccountByThumbprint(req.new_key.thumbprint());
    core::Error e = Err(ErrorType::kConflict, "keyChange: the new key is already in use");
    if (winner.ok()) e.conflicting_account_id = winner->id.value;
    return e;
  }
  if (changed.ok()) {
    boost::json::object record =
        AccountAuditRecord("key_change", *changed, AccountUrl(req.account));
    record["old_key_thumbprint"] = acct.jwk_thumbprint;
    record["new_key_thumbprint"] = changed->jwk_thumbprint;
    audit_->Record("account", std::move(record));
  }
  return changed;
}

}  // namespace flint::ra
