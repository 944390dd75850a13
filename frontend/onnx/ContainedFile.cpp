#include "frontend/onnx/ContainedFile.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace dlc::onnx_io {

using Kind = ContainedFileError::Kind;

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// Linux's own limit on symlinks followed in one lookup.
constexpr int kMaxSymlinks = 40;

[[noreturn]] void fail(Kind k, const std::string& phrase) { throw ContainedFileError(k, phrase); }

std::string errnoText(int err) { return std::strerror(err); }

// The components of a relative path, to be walked in order (a stack: the
// next one is at the back).
void pushComponents(const std::string& path, std::vector<std::string>& todo) {
  std::vector<std::string> parts;
  for (const fs::path& p : fs::path(path)) parts.push_back(p.string());
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
}

// The symlink `name` in dirFd: its target, or "" with errno set.
std::string readLink(int dirFd, const std::string& name) {
  std::vector<char> buf(PATH_MAX + 1);
  ssize_t n = ::readlinkat(dirFd, name.c_str(), buf.data(), buf.size());
  if (n < 0) return "";
  if (static_cast<size_t>(n) >= buf.size()) {
    errno = ENAMETOOLONG;
    return "";
  }
  return std::string(buf.data(), static_cast<size_t>(n));
}

// fd, opened non-blocking, if it is a regular file (then blocking).
FileDescriptor requireRegular(FileDescriptor fd) {
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) fail(Kind::Unreadable, "cannot be read: " + errnoText(errno));
  if (!S_ISREG(st.st_mode))
    fail(Kind::NotRegular, std::string("is not a regular file (") +
                               (S_ISDIR(st.st_mode) ? "a directory" : "a pipe, socket or device") + ")");
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace

FileDescriptor openRegularFile(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT) fail(Kind::Missing, "does not exist");
    fail(Kind::Unreadable, "cannot be opened: " + errnoText(errno));
  }
  return requireRegular(std::move(fd));
}

FileDescriptor openContained(const std::string& folder, const std::string& relative,
                             const BeforeComponentHook& hook) {
  fs::path rel(relative);
  if (relative.empty()) fail(Kind::Missing, "is empty");
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) fail(Kind::Absolute, "is absolute");
  for (const fs::path& part : rel)
    if (part == "..") fail(Kind::DotDot, "leaves the folder ('..')");

  std::string base = folder.empty() ? "." : folder;
  // The folder itself is the caller's (the model's path as given): opened
  // with symlinks followed.
  std::vector<FileDescriptor> dirs;
  dirs.emplace_back(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirs.back()) fail(Kind::Missing, "cannot be opened: its folder '" + base + "': " + errnoText(errno));
  // An absolute symlink target is inside when it names a path under the
  // folder's canonical path (resolved once, from the trusted folder).
  std::string canonicalBase;
  if (char* real = ::realpath(base.c_str(), nullptr)) {
    canonicalBase = real;
    ::free(real);
  }

  std::vector<std::string> todo;
  pushComponents(relative, todo);
  int symlinks = 0;
  while (!todo.empty()) {
    std::string name = todo.back();
    todo.pop_back();
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      // Only a symlink's target gets here ('..' in the name was refused):
      // back to the folder the walk came from, never above the base.
      if (dirs.size() == 1) fail(Kind::Leaves, "resolves outside the folder (a symlink leads out of it)");
      dirs.pop_back();
      continue;
    }
    bool last = todo.empty();
    if (hook) hook(dirs.back().get(), name);
    // O_NOFOLLOW: a symlink is not followed but refused (ELOOP; ENOTDIR
    // with O_DIRECTORY on some kernels), and then followed by hand below.
    // O_NONBLOCK: opening a pipe does not wait for a writer.
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY);
    FileDescriptor fd(::openat(dirs.back().get(), name.c_str(), flags));
    if (fd) {
      if (!last) {
        dirs.push_back(std::move(fd));
        continue;
      }
      return requireRegular(std::move(fd));
    }
    int err = errno;
    if (err == ENOENT) fail(Kind::Missing, "does not exist");
    if (err != ELOOP && err != ENOTDIR) fail(Kind::Unreadable, "cannot be opened: " + errnoText(err));
    std::string target = readLink(dirs.back().get(), name);
    if (target.empty()) {
      if (errno == EINVAL) {
        // Not a symlink: ENOTDIR from a file where a folder was expected,
        // or a symlink swapped back since the open: look again.
        if (err == ENOTDIR) fail(Kind::Missing, "does not exist ('" + name + "' is not a folder)");
        if (++symlinks > kMaxSymlinks) fail(Kind::Unreadable, "cannot be opened: it keeps changing");
        todo.push_back(name);
        continue;
      }
      fail(Kind::Unreadable, "cannot be opened: " + errnoText(errno));
    }
    if (++symlinks > kMaxSymlinks) fail(Kind::Unreadable, "cannot be opened: too many levels of symbolic links");
    if (target[0] == '/') {
      // Inside only as a path under the folder's canonical path; the walk
      // restarts from the folder with the rest of it.
      const std::string& b = canonicalBase;
      bool inside = !b.empty() && target.compare(0, b.size(), b) == 0 &&
                    (target.size() == b.size() || target[b.size()] == '/' || b == "/");
      if (!inside) fail(Kind::Leaves, "resolves outside the folder (a symlink to '" + target + "')");
      dirs.resize(1);
      target = target.size() > b.size() ? target.substr(b.size() + (b == "/" ? 0 : 1)) : ".";
    }
    // The target replaces the symlink's name, relative to its folder.
    pushComponents(target, todo);
  }
  // The walk ended on a folder: a symlink to "." or to the folder itself.
  fail(Kind::NotRegular, "is not a regular file (a directory)");
}

int64_t fileSize(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) fail(Kind::Unreadable, "cannot be read: " + errnoText(errno));
  return static_cast<int64_t>(st.st_size);
}

std::string readRange(int fd, int64_t offset, int64_t length) {
  std::string bytes(static_cast<size_t>(length), '\0');
  int64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, bytes.data() + done, static_cast<size_t>(length - done), offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(Kind::Unreadable, "cannot be read: " + errnoText(errno));
    if (n == 0) fail(Kind::Unreadable, "cannot be read: it ended early (changed while reading?)");
    done += n;
  }
  return bytes;
}

}  // namespace dlc::onnx_io
