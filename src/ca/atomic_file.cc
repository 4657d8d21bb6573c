#include "ca/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "ca/openssl_util.h"

namespace flint::ca {
namespace {

core::Error ErrnoError(const std::string& what, const std::string& path, int err) {
  return core::Err(core::ErrorType::kInternal, what + " " + path + ": " + std::strerror(err));
}

// Closes the descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

core::Result<void> WriteAll(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("writing", path, n < 0 ? errno : EIO);
    content.remove_prefix(static_cast<size_t>(n));
  }
  return core::Ok();
}

core::Result<void> WriteAndSync(const std::string& tmp, std::string_view content, mode_t mode) {
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) return ErrnoError("creating", tmp, errno);
  // The umask may only narrow `mode`; widening a public certificate back to `mode` is harmless,
  // and a key's 0600 is never widened.
  if ((mode & 0077) != 0 && ::fchmod(fd.get(), mode) != 0) return ErrnoError("chmod", tmp, errno);
  FLINT_TRY(WriteAll(fd.get(), content, tmp));
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync", tmp, errno);
  if (::close(fd.Release()) != 0) return ErrnoError("closing", tmp, errno);
  return core::Ok();
}

}  // namespace

core::Result<void> WriteFileAtomic(const std::string& dir, const std::string& name,
                                   std::string_view content, mode_t mode, core::Random& random) {
  const std::string path = dir + "/" + name;
  const std::string tmp = dir + "/." + name + ".tmp-" + HexEncode(random.Bytes(8));
  core::Result<void> written = WriteAndSync(tmp, content, mode);
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("renaming into", path, err);
  }
  // The rename is durable only once the directory entry is.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return ErrnoError("opening directory", dir, errno);
  if (::fsync(dir_fd.get()) != 0) return ErrnoError("fsync directory", dir, errno);
  return core::Ok();
}

core::Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return core::Err(core::ErrorType::kNotFound, path + " does not exist");
    return ErrnoError("opening", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return core::Err(core::ErrorType::kInternal, path + " is not a regular file");
  }
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("reading", path, errno);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      Cleanse(out);
      return core::Err(core::ErrorType::kInternal, path + " is unreasonably large");
    }
  }
  return out;
}

}  // namespace flint::ca
