#pragma once
// Private to the config module: the `[profiles.NAME]` tables of the TOML file.

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace flint::config {

// Parses the value of the top-level `profiles` key: a table of tables, each with the keys
// description (string), validity_days (1..3650), include_cn (bool), ekus (["serverAuth"] or
// ["serverAuth", "clientAuth"]), challenges (a non-empty subset of http-01, dns-01,
// tls-alpn-01) and key_usages (RFC 5280 KeyUsage names without repeats, digitalSignature among
// them; keyCertSign and cRLSign refused). kMalformed, naming the profile and key, for anything
// else. In name order.
core::Result<std::vector<ProfileConfig>> ParseProfiles(const std::string& path,
                                                       const toml::node& node);

// Fills in the built-in profiles when none are configured, and checks that default_profile
// names one (kMalformed otherwise).
core::Result<void> FinishProfiles(Config& config);

}  // namespace flint::config
