#pragma once
// Issuance profiles (draft-aaron-acme-profiles): named sets of certificate properties a client
// picks with newOrder's "profile" field. The RA applies them; `cmd` builds them from config.

#include <chrono>
#include <string>
#include <vector>

#include "core/types.h"

namespace flint::ra {

struct Profile {
  std::string name;         // as listed in the directory's meta.profiles
  std::string description;  // human-readable, the meta.profiles value
  std::chrono::seconds validity = std::chrono::hours(24 * 90);
  bool include_cn = true;    // subject CN = first dns identifier (IssueRequest::include_cn)
  bool client_auth = false;  // EKU clientAuth besides serverAuth
  // The leaf's KeyUsage (ca::IssueRequest::key_usages: the issuer keeps those the CSR key's
  // algorithm can do). The default is digitalSignature, plus keyEncipherment for RSA keys.
  std::vector<core::KeyUsage> key_usages = {core::KeyUsage::kDigitalSignature,
                                            core::KeyUsage::kKeyEncipherment};
  // Challenge types offered for new authorizations, and accepted on reused ones; empty: all.
  std::vector<core::ChallengeType> challenges;
};

// True if `profile` allows `type` (an empty list allows every type).
inline bool AllowsChallenge(const Profile& profile, core::ChallengeType type) {
  if (profile.challenges.empty()) return true;
  for (core::ChallengeType t : profile.challenges)
    if (t == type) return true;
  return false;
}

}  // namespace flint::ra
