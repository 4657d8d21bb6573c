#include "config/pebble_config.h"

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/ascii.h"
#include "core/json.h"

namespace flint::config {

using core::Err;
using core::ErrorType;

namespace {

constexpr const char* kPebbleUsage =
    "usage: flint pebble -config FILE [-dnsserver HOST:PORT] [-strict]\n"
    "Pebble's command line, configuration file and PEBBLE_* environment variables, served by\n"
    "flint with a fresh CA kept for the process's life (docs/PEBBLE.md).\n"
    "  -config string      Pebble's JSON configuration file ({\"pebble\": {...}})\n"
    "  -dnsserver string   DNS server for validation, HOST:PORT (e.g. pebble-challtestsrv's)\n"
    "  -strict             Pebble's strict mode\n";

// Pebble's terms of service, so clients that show or agree to them see the same URL.
constexpr const char* kPebbleTermsOfService = "data:text/plain,Do%20what%20thou%20wilt";

// Go's encoding/json matches object keys to struct fields case-insensitively; so does this.
const boost::json::value* Find(const boost::json::object& obj, std::string_view key) {
  for (const auto& kv : obj) {
    if (core::IEquals(kv.key(), key)) return &kv.value();
  }
  return nullptr;
}

core::Result<std::string> String(const boost::json::value& v, const std::string& key) {
  if (v.is_null()) return std::string();
  if (!v.is_string()) return Err(ErrorType::kMalformed, "\"" + key + "\" must be a string");
  return std::string(v.as_string());
}

core::Result<int64_t> Int(const boost::json::value& v, const std::string& key, int64_t lo,
                          int64_t hi) {
  if (!v.is_int64() && !v.is_uint64())
    return Err(ErrorType::kMalformed, "\"" + key + "\" must be an integer");
  const int64_t n = v.is_int64() ? v.as_int64() : static_cast<int64_t>(v.as_uint64());
  if (!v.is_int64() || n < lo || n > hi) {
    return Err(ErrorType::kMalformed, "\"" + key + "\" must be between " + std::to_string(lo) +
                                          " and " + std::to_string(hi));
  }
  return n;
}

core::Result<bool> Bool(const boost::json::value& v, const std::string& key) {
  if (v.is_null()) return false;
  if (!v.is_bool()) return Err(ErrorType::kMalformed, "\"" + key + "\" must be true or false");
  return v.as_bool();
}

// base64url, with or without padding (Pebble decodes its MAC keys with
// base64.RawURLEncoding; flint also accepts the padded form).
std::optional<std::string> DecodeBase64Url(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6) return std::nullopt;  // a dangling character
  return out;
}

// Whole days for a Pebble validity in seconds, rounded up (flint's profiles count days).
int DaysFor(int64_t seconds) { return static_cast<int>((seconds + 86399) / 86400); }

core::Result<void> ApplyProfiles(const boost::json::value& v, PebbleSettings& s) {
  if (v.is_null()) return core::Ok();
  if (!v.is_object()) return Err(ErrorType::kMalformed, "\"profiles\" must be an object");
  std::vector<ProfileConfig> profiles;
  for (const auto& kv : v.as_object()) {
    const std::string name(kv.key());
    if (!kv.value().is_object())
      return Err(ErrorType::kMalformed, "profile \"" + name + "\" must be an object");
    ProfileConfig p;
    p.name = name;
    p.validity_days = s.serve.cert_validity_days;
    for (const auto& field : kv.value().as_object()) {
      const std::string key = "profiles." + name + "." + std::string(field.key());
      if (core::IEquals(field.key(), "description")) {
        FLINT_ASSIGN_OR_RETURN(p.description, String(field.value(), key));
      } else if (core::IEquals(field.key(), "validityPeriod")) {
        FLINT_ASSIGN_OR_RETURN(int64_t secs, Int(field.value(), key, 1, int64_t{3650} * 86400));
        p.validity_days = DaysFor(secs);
        if (secs % 86400 != 0) {
          s.warnings.push_back(key + " " + std::to_string(secs) + " s is rounded up to " +
                               std::to_string(p.validity_days) + " days");
        }
      } else {
        s.warnings.push_back("unknown key \"" + key + "\" ignored");
      }
    }
    profiles.push_back(std::move(p));
  }
  if (profiles.empty()) return core::Ok();
  s.serve.profiles = std::move(profiles);
  // Pebble's default profile is the one named "default".
  const bool has_default = std::any_of(s.serve.profiles.begin(), s.serve.profiles.end(),
                                       [](const ProfileConfig& p) { return p.name == "default"; });
  s.serve.default_profile = has_default ? "default" : s.serve.profiles.front().name;
  return core::Ok();
}

core::Result<void> ApplyMacKeys(const boost::json::value& v, PebbleSettings& s) {
  if (v.is_null()) return core::Ok();
  if (!v.is_object())
    return Err(ErrorType::kMalformed, "\"externalAccountMACKeys\" must be an object");
  for (const auto& kv : v.as_object()) {
    const std::string kid(kv.key());
    if (!kv.value().is_string()) {
      return Err(ErrorType::kMalformed,
                 "externalAccountMACKeys \"" + kid + "\" must be a base64url string");
    }
    std::optional<std::string> key = DecodeBase64Url(kv.value().as_string());
    if (!key || key->empty()) {
      return Err(ErrorType::kMalformed, "externalAccountMACKeys \"" + kid + "\" is not base64url");
    }
    s.eab_keys[kid] = std::move(*key);
  }
  return core::Ok();
}

core::Result<void> ApplyBlocklist(const boost::json::value& v, PebbleSettings& s) {
  if (v.is_null()) return core::Ok();
  if (!v.is_array()) return Err(ErrorType::kMalformed, "\"domainBlocklist\" must be an array");
  for (const auto& item : v.as_array()) {
    if (!item.is_string())
      return Err(ErrorType::kMalformed, "\"domainBlocklist\" entries must be strings");
    s.serve.blocked_names.emplace_back(item.as_string());
  }
  return core::Ok();
}

core::Result<void> ApplyKey(std::string_view key, const boost::json::value& v, PebbleSettings& s) {
  auto is = [&](std::string_view name) { return core::IEquals(key, name); };
  const std::string k(key);
  if (is("listenAddress")) {
    FLINT_ASSIGN_OR_RETURN(s.serve.listen, String(v, k));
  } else if (is("managementListenAddress")) {
    FLINT_ASSIGN_OR_RETURN(s.management_listen, String(v, k));
  } else if (is("certificate")) {
    FLINT_ASSIGN_OR_RETURN(s.tls_cert_file, String(v, k));
  } else if (is("privateKey")) {
    FLINT_ASSIGN_OR_RETURN(s.tls_key_file, String(v, k));
  } else if (is("httpPort")) {
    FLINT_ASSIGN_OR_RETURN(int64_t port, Int(v, k, 1, 65535));
    s.serve.http01_port = static_cast<uint16_t>(port);
  } else if (is("tlsPort")) {
    FLINT_ASSIGN_OR_RETURN(int64_t port, Int(v, k, 1, 65535));
    s.serve.tlsalpn01_port = static_cast<uint16_t>(port);
  } else if (is("ocspResponderURL")) {
    // Pebble writes it into certificates' AIA and runs no responder; so does flint here.
    FLINT_ASSIGN_OR_RETURN(s.serve.ocsp_url, String(v, k));
  } else if (is("externalAccountBindingRequired")) {
    FLINT_ASSIGN_OR_RETURN(s.serve.external_account_required, Bool(v, k));
  } else if (is("externalAccountMACKeys")) {
    FLINT_TRY(ApplyMacKeys(v, s));
  } else if (is("domainBlocklist")) {
    FLINT_TRY(ApplyBlocklist(v, s));
  } else if (is("certificateValidityPeriod")) {
    if (!v.is_null()) {
      FLINT_ASSIGN_OR_RETURN(int64_t secs, Int(v, k, 1, int64_t{3650} * 86400));
      s.serve.cert_validity_days = DaysFor(secs);
    }
  } else if (is("profiles")) {
    FLINT_TRY(ApplyProfiles(v, s));
  } else if (is("retryAfter")) {
    if (!v.is_null() && !v.is_object())
      return Err(ErrorType::kMalformed, "\"retryAfter\" must be an object");
    if (v.is_object()) {
      for (const auto& field : v.as_object()) {
        const std::string key = "retryAfter." + std::string(field.key());
        if (core::IEquals(field.key(), "authz") || core::IEquals(field.key(), "order")) {
          FLINT_ASSIGN_OR_RETURN(int64_t secs, Int(field.value(), key, 1, 86400));
          (core::IEquals(field.key(), "authz") ? s.authz_retry_after_seconds
                                               : s.order_retry_after_seconds) =
              static_cast<int>(secs);
        } else {
          s.warnings.push_back("unknown key \"" + key + "\" ignored");
        }
      }
    }
  } else if (is("keyAlgorithm")) {
    FLINT_ASSIGN_OR_RETURN(std::string alg, String(v, k));
    if (!alg.empty() && alg != "ecdsa") {
      s.warnings.push_back("\"keyAlgorithm\": \"" + alg +
                           "\" is accepted but flint's CA keys are always ECDSA (P-384 roots, "
                           "P-256 intermediates)");
    }
  } else {
    s.warnings.push_back("unknown key \"" + k + "\" ignored");
  }
  return core::Ok();
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool GoTrue(const std::string& v) { return v == "1" || v == "true" || v == "True" || v == "TRUE"; }

// An integer environment variable in [lo, hi]; unset or empty: `fallback`. As Pebble does, a
// value that is not such an integer is ignored (with a warning here) rather than refused.
int EnvInt(const EnvLookup& env, const std::string& name, int fallback, int lo, int hi,
           PebbleSettings& s) {
  std::optional<std::string> v = env(name);
  if (!v || v->empty()) return fallback;
  const bool digits = v->size() <= 6 && std::all_of(v->begin(), v->end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
  const int n = digits ? std::stoi(*v) : -1;
  if (!digits || n < lo || n > hi) {
    s.warnings.push_back(name + "=" + *v + " ignored (expected an integer " + std::to_string(lo) +
                         "-" + std::to_string(hi) + "); using " + std::to_string(fallback));
    return fallback;
  }
  return n;
}

core::Result<void> ApplyEnvironment(const EnvLookup& env, PebbleSettings& s) {
  s.nonce_reject_percent = EnvInt(env, "PEBBLE_WFE_NONCEREJECT", 5, 0, 100, s);
  s.authz_reuse_percent = EnvInt(env, "PEBBLE_AUTHZREUSE", 50, 0, 100, s);
  s.orders_per_page = EnvInt(env, "PEBBLE_WFE_ORDERS_PER_PAGE", 3, 1, 1000, s);
  s.chain_length = EnvInt(env, "PEBBLE_CHAIN_LENGTH", 1, 1, 8, s);
  s.alternate_roots = EnvInt(env, "PEBBLE_ALTERNATE_ROOTS", 0, 0, 8, s);
  s.va_sleep_max = std::chrono::seconds(EnvInt(env, "PEBBLE_VA_SLEEPTIME", 15, 1, 3600, s));
  if (auto v = env("PEBBLE_VA_NOSLEEP"); v && GoTrue(*v)) s.va_sleep_max.reset();
  if (auto v = env("PEBBLE_VA_ALWAYS_VALID"); v && GoTrue(*v)) {
    s.serve.skip_validation = true;
    s.va_sleep_max.reset();  // nothing is fetched, so there is nothing to wait before
  }
  return core::Ok();
}

// Go's flag package: "-name", "--name", "-name=value"; a non-boolean flag takes the next
// argument as its value when it has no "=".
struct Flags {
  std::optional<std::string> config;
  std::string dnsserver;
  bool strict = false;
  bool help = false;
  std::vector<std::string> ignored;  // after the first non-flag argument, as Go leaves them
};

core::Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    // Go's flag package stops at the first non-flag argument ("--" included) and Pebble ignores
    // the rest: so does flint (with a warning), e.g. "-strict false -config F" is strict with
    // the default file, as with Pebble.
    if (a == "--" || a.size() < 2 || a[0] != '-') {
      f.ignored.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + (a == "--" ? 1 : 0),
                       args.end());
      break;
    }
    a.erase(0, a[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a.resize(eq);
    }
    if (a == "h" || a == "help") {
      f.help = true;
      continue;
    }
    if (a == "strict") {
      if (!value || *value == "true" || *value == "1" || *value == "t" || *value == "TRUE" ||
          *value == "True" || *value == "T") {
        f.strict = true;
      } else if (*value == "false" || *value == "0" || *value == "f" || *value == "FALSE" ||
                 *value == "False" || *value == "F") {
        f.strict = false;
      } else {
        return Err(ErrorType::kMalformed, "-strict=" + *value + ": not a boolean");
      }
      continue;
    }
    if (a != "config" && a != "dnsserver") {
      return Err(ErrorType::kMalformed, "flag provided but not defined: -" + a);
    }
    if (!value) {
      if (i + 1 >= args.size()) return Err(ErrorType::kMalformed, "flag needs an argument: -" + a);
      value = args[++i];
    }
    if (a == "config") f.config = *value;
    if (a == "dnsserver") f.dnsserver = *value;
  }
  return f;
}

}  // namespace

core::Result<void> ApplyPebbleConfigJson(std::string_view json, PebbleSettings& s) {
  FLINT_ASSIGN_OR_RETURN(boost::json::value doc, core::ParseStrictJson(json));
  if (!doc.is_object()) return Err(ErrorType::kMalformed, "the file is not a JSON object");
  const boost::json::value* pebble = Find(doc.as_object(), "pebble");
  if (pebble == nullptr || !pebble->is_object())
    return Err(ErrorType::kMalformed, "the file has no \"pebble\" object");
  for (const auto& kv : doc.as_object()) {
    if (!core::IEquals(kv.key(), "pebble"))
      s.warnings.push_back("unknown top-level key \"" + std::string(kv.key()) + "\" ignored");
  }
  for (const auto& kv : pebble->as_object()) FLINT_TRY(ApplyKey(kv.key(), kv.value(), s));
  return core::Ok();
}

core::Result<std::optional<PebbleSettings>> ParsePebbleArgs(const std::vector<std::string>& args,
                                                            const EnvLookup& env) {
  FLINT_ASSIGN_OR_RETURN(Flags flags, ParseFlags(args));
  if (flags.help) {
    std::cout << kPebbleUsage;
    return std::optional<PebbleSettings>();
  }
  // flint serve's defaults, finished as `flint serve` finishes them.
  FLINT_ASSIGN_OR_RETURN(std::optional<Config> defaults, ParseServeArgs({}));
  PebbleSettings s;
  s.serve = std::move(*defaults);
  s.serve.data_dir.clear();
  s.serve.terms_of_service = kPebbleTermsOfService;
  s.serve.allow_private_targets = true;  // challenge servers on loopback, as with Pebble
  s.serve.dns_resolver = flags.dnsserver;
  s.strict = flags.strict;
  if (!flags.ignored.empty()) {
    std::string list;
    for (const std::string& arg : flags.ignored) list += (list.empty() ? "" : " ") + arg;
    s.warnings.push_back("arguments after the flags ignored, as Pebble ignores them: " + list);
  }
  // Pebble's own default when -config is not given.
  const std::string path = flags.config.value_or("test/config/pebble-config.json");
  std::optional<std::string> text = ReadWholeFile(path);
  if (!text) return Err(ErrorType::kMalformed, "-config " + path + ": cannot read the file");
  if (auto applied = ApplyPebbleConfigJson(*text, s); !applied.ok()) {
    return Err(ErrorType::kMalformed, "-config " + path + ": " + applied.error().detail);
  }
  if (s.serve.listen.empty())
    return Err(ErrorType::kMalformed, "-config " + path + ": no listenAddress");
  if (s.tls_cert_file.empty() || s.tls_key_file.empty()) {
    return Err(ErrorType::kMalformed,
               "-config " + path + ": \"certificate\" and \"privateKey\" are required");
  }
  if (!s.serve.dns_resolver.empty()) {
    // Pebble's ":5053" means this host.
    if (s.serve.dns_resolver.front() == ':')
      s.serve.dns_resolver = "127.0.0.1" + s.serve.dns_resolver;
    if (auto hp = SplitHostPort(s.serve.dns_resolver); !hp.ok())
      return Err(ErrorType::kMalformed, "-dnsserver: " + hp.error().detail);
  }
  FLINT_TRY(ApplyEnvironment(env, s));
  return std::optional<PebbleSettings>(std::move(s));
}

}  // namespace flint::config
