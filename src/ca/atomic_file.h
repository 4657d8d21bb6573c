#pragma once
// Crash-safe file writes for CA material: a reader sees the old file or the complete new one,
// never a torn one, and a completed write survives power loss.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"

namespace flint::ca {

// Writes `content` to `dir`/`name` atomically: creates a uniquely named temporary file in `dir`
// with open(O_CREAT|O_EXCL|O_NOFOLLOW, `mode`) — so a key file is 0600 from its first byte —
// writes, fsyncs, renames over `name`, and fsyncs `dir`. The temporary file is removed on
// failure. Errors are kInternal naming the path and errno; `content` is never included.
[[nodiscard]] core::Result<void> WriteFileAtomic(const std::string& dir, const std::string& name,
                                                 std::string_view content, mode_t mode,
                                                 core::Random& random);

// Reads a whole regular file (at most `max_bytes`). kNotFound if it does not exist, kInternal
// for any other failure.
[[nodiscard]] core::Result<std::string> ReadSmallFile(const std::string& path,
                                                      size_t max_bytes = 1 << 20);

}  // namespace flint::ca
