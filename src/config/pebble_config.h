#pragma once
// `flint pebble`: Pebble's command line (-config FILE -dnsserver HOST:PORT [-strict]), its JSON
// configuration file ({"pebble": {...}}) and its PEBBLE_* environment variables, read with
// Pebble 2.4's meanings and defaults and mapped onto flint's own serve Config. docs/PEBBLE.md
// lists each key and variable and what flint does with it.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace flint::config {

// What `flint pebble` runs: flint's serve configuration plus what only the Pebble mode has.
struct PebbleSettings {
  Config serve;  // data_dir is left empty: the caller makes a temporary one
  // The HTTPS listeners' certificate chain and key files ("certificate", "privateKey").
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string management_listen;  // "managementListenAddress"; empty: no management API
  // "retryAfter": {"authz": N, "order": M}, seconds of Retry-After while in progress.
  int authz_retry_after_seconds = 1;
  int order_retry_after_seconds = 1;
  bool strict = false;  // -strict
  // Environment.
  int chain_length = 1;          // PEBBLE_CHAIN_LENGTH
  int alternate_roots = 0;       // PEBBLE_ALTERNATE_ROOTS
  int nonce_reject_percent = 5;  // PEBBLE_WFE_NONCEREJECT
  int authz_reuse_percent = 50;  // PEBBLE_AUTHZREUSE
  int orders_per_page = 3;       // PEBBLE_WFE_ORDERS_PER_PAGE
  // Before each validation, a random sleep in [0, va_sleep_max] seconds (PEBBLE_VA_SLEEPTIME,
  // default 15), unless PEBBLE_VA_NOSLEEP is set true; nullopt: no sleep.
  std::optional<std::chrono::seconds> va_sleep_max = std::chrono::seconds(15);
  // "externalAccountMACKeys": key id -> raw HMAC key (decoded from base64url).
  std::map<std::string, std::string> eab_keys;
  // Warnings to log at start (unknown keys, accepted keys flint does not apply).
  std::vector<std::string> warnings;
};

// Looks up an environment variable; std::nullopt when unset. Injected so tests need no setenv.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Parses `flint pebble` arguments (without the program name and "pebble"), reading the config
// file they name and the environment through `env`. Flags take Go's flag package forms: -name,
// --name, -name=value, --name value; -strict alone or -strict=true|false. Returns std::nullopt
// after printing usage to stdout (-h, --help). kMalformed, with a detail naming the flag, key or
// variable, for an unknown flag, an unreadable or invalid file, a key of the wrong type, or an
// environment value out of range.
core::Result<std::optional<PebbleSettings>> ParsePebbleArgs(const std::vector<std::string>& args,
                                                            const EnvLookup& env);

// The same for the file's content alone (tests).
core::Result<void> ApplyPebbleConfigJson(std::string_view json, PebbleSettings& settings);

}  // namespace flint::config
