#include "config/profiles.h"

#include <algorithm>
#include <set>

namespace flint::config {
namespace {

using core::Err;
using core::ErrorType;

const std::set<std::string>& KnownEkus() {
  static const std::set<std::string> k = {"serverAuth", "clientAuth"};
  return k;
}
const std::set<std::string>& KnownChallenges() {
  static const std::set<std::string> k = [] {
    std::set<std::string> names;
    for (core::ChallengeType t : core::kAllChallengeTypes) names.emplace(core::ToString(t));
    return names;
  }();
  return k;
}

bool ValidName(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// A TOML array of strings, each in `allowed`, without repeats.
core::Result<std::vector<std::string>> StringSet(const toml::node& node,
                                                 const std::set<std::string>& allowed,
                                                 const std::string& where) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr || arr->empty())
    return Err(ErrorType::kMalformed, where + ": expected a non-empty array");
  std::vector<std::string> out;
  for (const toml::node& el : *arr) {
    std::optional<std::string> s = el.value_exact<std::string>();
    if (!s || !allowed.count(*s) || std::count(out.begin(), out.end(), *s))
      return Err(ErrorType::kMalformed, where + ": unknown or repeated value");
    out.push_back(*s);
  }
  return out;
}

// The `key_usages` array: RFC 5280 §4.2.1.3 names (core::KeyUsageFromString), no repeats,
// digitalSignature among them.
core::Result<std::vector<core::KeyUsage>> KeyUsages(const toml::node& node,
                                                    const std::string& where) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr || arr->empty())
    return Err(ErrorType::kMalformed, where + ": expected a non-empty array of KeyUsage names");
  std::vector<core::KeyUsage> out;
  for (const toml::node& el : *arr) {
    std::optional<std::string> name = el.value_exact<std::string>();
    if (!name) return Err(ErrorType::kMalformed, where + ": expected KeyUsage names as strings");
    const std::string quoted = "'" + *name + "'";
    if (*name == "keyCertSign" || *name == "cRLSign") {
      return Err(ErrorType::kMalformed, where + ": " + quoted +
                                            " is for CA certificates; a TLS server certificate "
                                            "must never carry it");
    }
    if (*name == "encipherOnly" || *name == "decipherOnly") {
      return Err(ErrorType::kMalformed,
                 where + ": " + quoted +
                     " is not supported (it only qualifies keyAgreement for Diffie-Hellman keys)");
    }
    std::optional<core::KeyUsage> usage = core::KeyUsageFromString(*name);
    if (!usage) {
      return Err(ErrorType::kMalformed,
                 where + ": unknown KeyUsage " + quoted +
                     "; accepted: digitalSignature, nonRepudiation (or contentCommitment), "
                     "keyEncipherment, dataEncipherment, keyAgreement");
    }
    if (std::count(out.begin(), out.end(), *usage))
      return Err(ErrorType::kMalformed, where + ": " + quoted + " is repeated");
    out.push_back(*usage);
  }
  // RFC 8446 §4.4.2.4: a TLS 1.3 server signs with its certificate's key, which needs
  // digitalSignature whenever the KeyUsage extension is present.
  if (!std::count(out.begin(), out.end(), core::KeyUsage::kDigitalSignature)) {
    return Err(ErrorType::kMalformed,
               where + ": must include digitalSignature (TLS servers sign with the key)");
  }
  return out;
}

core::Result<void> ParseProfileKey(ProfileConfig& p, const std::string& key, const toml::node& node,
                                   const std::string& where) {
  if (key == "description") {
    auto s = node.value_exact<std::string>();
    if (!s) return Err(ErrorType::kMalformed, where + ": expected a string");
    p.description = *s;
  } else if (key == "validity_days") {
    auto n = node.value_exact<int64_t>();
    if (!n || *n < 1 || *n > 3650)
      return Err(ErrorType::kMalformed, where + ": expected an integer from 1 to 3650");
    p.validity_days = static_cast<int>(*n);
  } else if (key == "include_cn") {
    auto b = node.value_exact<bool>();
    if (!b) return Err(ErrorType::kMalformed, where + ": expected true or false");
    p.include_cn = *b;
  } else if (key == "ekus") {
    FLINT_ASSIGN_OR_RETURN(p.ekus, StringSet(node, KnownEkus(), where));
    if (!std::count(p.ekus.begin(), p.ekus.end(), "serverAuth"))
      return Err(ErrorType::kMalformed, where + ": flint issues serverAuth certificates only");
  } else if (key == "challenges") {
    FLINT_ASSIGN_OR_RETURN(p.challenges, StringSet(node, KnownChallenges(), where));
  } else if (key == "key_usages") {
    FLINT_ASSIGN_OR_RETURN(p.key_usages, KeyUsages(node, where));
  } else {
    return Err(ErrorType::kMalformed, where + ": unknown key");
  }
  return core::Ok();
}

ProfileConfig BuiltIn(std::string name, std::string description, int days, bool cn,
                      std::vector<std::string> ekus) {
  ProfileConfig p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.validity_days = days;
  p.include_cn = cn;
  p.ekus = std::move(ekus);
  return p;
}

}  // namespace

core::Result<std::vector<ProfileConfig>> ParseProfiles(const std::string& path,
                                                       const toml::node& node) {
  const std::string file = "config file " + path + ": ";
  const toml::table* table = node.as_table();
  if (table == nullptr) return Err(ErrorType::kMalformed, file + "'profiles' must be a table");
  std::vector<ProfileConfig> out;
  for (auto&& [name_key, value] : *table) {
    ProfileConfig p;
    p.name = std::string(name_key.str());
    const std::string where = file + "profiles." + p.name;
    if (!ValidName(p.name))
      return Err(ErrorType::kMalformed, where + ": profile names are [A-Za-z0-9._-]{1,64}");
    const toml::table* keys = value.as_table();
    if (keys == nullptr) return Err(ErrorType::kMalformed, where + ": expected a table");
    for (auto&& [k, v] : *keys) {
      std::string key(k.str());
      FLINT_TRY(ParseProfileKey(p, key, v, where + "." + key));
    }
    out.push_back(std::move(p));
  }
  if (out.empty()) return Err(ErrorType::kMalformed, file + "'profiles' defines no profile");
  return out;
}

core::Result<void> FinishProfiles(Config& c) {
  if (c.profiles.empty()) {
    const int days = c.cert_validity_days;
    const std::string d = std::to_string(days);
    c.profiles.push_back(
        BuiltIn("default", d + "-day TLS server certificate", days, true, {"serverAuth"}));
    c.profiles.push_back(BuiltIn("shortlived", "6-day TLS server certificate without a common name",
                                 6, false, {"serverAuth"}));
    c.profiles.push_back(BuiltIn("tlsclient", d + "-day certificate for TLS servers and clients",
                                 days, true, {"serverAuth", "clientAuth"}));
  }
  for (const ProfileConfig& p : c.profiles)
    if (p.name == c.default_profile) return core::Ok();
  return Err(ErrorType::kMalformed,
             "--default-profile '" + c.default_profile + "' is not a configured profile");
}

}  // namespace flint::config
