#pragma once
// The Public Suffix List (https://publicsuffix.org), through libpsl. Used to refuse names that
// are public suffixes ("com", "co.uk") and, optionally, names under unknown TLDs, and to find
// the registrable domain rate limits are keyed by.
//
// Immutable after loading; every const method is thread-safe. Names are lowercase ASCII
// (A-labels for IDNs), without a trailing dot and without a "*." wildcard label.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

struct psl_ctx_st;

namespace flint::policy {

// The list as Debian's package `publicsuffix` installs it (libpsl's DAFSA form; the same
// directory holds public_suffix_list.dat). flint serve loads it at start (--public-suffix-file).
inline constexpr const char* kDistributionListPath =
    "/usr/share/publicsuffix/public_suffix_list.dafsa";

class PublicSuffixList {
 public:
  // libpsl's newest of its built-in list and the distribution file
  // (/usr/share/publicsuffix/public_suffix_list.dafsa, Debian package `publicsuffix`), loaded
  // once per process. Returns kInternal only if libpsl has neither.
  static core::Result<std::shared_ptr<const PublicSuffixList>> Default();

  // Loads a list in public_suffix_list.dat (or libpsl DAFSA) format. kInternal if the file
  // cannot be read or parsed.
  static core::Result<std::shared_ptr<const PublicSuffixList>> LoadFile(const std::string& path);

  ~PublicSuffixList();
  PublicSuffixList(const PublicSuffixList&) = delete;
  PublicSuffixList& operator=(const PublicSuffixList&) = delete;

  // True if `name` is a public suffix under an ICANN-section rule, including the implicit "*"
  // rule ("com", "co.uk", "foo.ck", but also "notarealtld"). Private-section suffixes
  // ("github.io") are not: their operators can legitimately hold certificates for them.
  bool IsIcannPublicSuffix(std::string_view name) const;

  // True if the last label of `name` is listed in the ICANN section (not merely matched by the
  // implicit "*" rule): "example.com" yes, "example.notarealtld" no.
  bool HasListedTld(std::string_view name) const;

  // The public suffix plus one label, using both ICANN and private rules ("www.example.co.uk"
  // -> "example.co.uk", "a.b.github.io" -> "b.github.io"); nullopt if `name` is itself a
  // public suffix.
  std::optional<std::string> RegistrableDomain(std::string_view name) const;

 private:
  PublicSuffixList(const psl_ctx_st* ctx, bool owned) : ctx_(ctx), owned_(owned) {}
  const psl_ctx_st* ctx_;
  bool owned_;  // false for libpsl's static built-in context, which must not be freed
};

}  // namespace flint::policy
