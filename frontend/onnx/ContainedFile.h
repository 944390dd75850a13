// Opens a file named by a model (ONNX external data, a DSL load("...")) so
// that what is opened lies inside the model's folder at the moment it is
// opened. Checking a path and then opening it leaves a window in which a
// symlink swapped into the folder escapes it; here the path is walked one
// component at a time from a descriptor of the folder, each opened with
// O_NOFOLLOW (a directory also with O_DIRECTORY), and a symlink met on the
// way is followed by hand, only while its target stays inside the folder.
// What the returned descriptor reads is therefore inside, whatever changes
// in the folder meanwhile. POSIX (Linux) only; no MLIR, no ONNX.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace dlc::onnx_io {

// Why a file could not be opened. The message is a phrase to follow the
// file's description ("leaves the folder", "does not exist" ...).
struct ContainedFileError : std::runtime_error {
  enum class Kind {
    Absolute,    // the name is an absolute path
    DotDot,      // the name has a '..' component
    Leaves,      // a symlink on the way leads outside the folder
    Missing,     // no such file (or a component is not a folder)
    NotRegular,  // a folder, pipe, socket or device
    Unreadable,  // any other failure (permissions, too many symlinks ...)
  };
  ContainedFileError(Kind k, const std::string& phrase) : std::runtime_error(phrase), kind(k) {}
  Kind kind;
};

// Owns an open file descriptor.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileDescriptor& operator=(FileDescriptor&& o) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Called before each path component is opened, with the folder's
// descriptor and the component's name: a test swaps a symlink in there to
// race the walk. Not for production use.
using BeforeComponentHook = std::function<void(int dirFd, const std::string& name)>;

// Opens the regular file `relative` inside `folder` ("" is the current
// folder) for reading. `relative` must be relative and have no '..'
// component; a symlink inside may point anywhere inside the folder
// (relative or absolute), never outside. A pipe is not waited on (opened
// non-blocking, then refused as not a regular file).
FileDescriptor openContained(const std::string& folder, const std::string& relative,
                             const BeforeComponentHook& hook = {});

// Opens a file the user named (a tensor file of --input-dir, symlinks
// followed) for reading, refusing what is not a regular file on the opened
// descriptor itself (a pipe is not waited on).
FileDescriptor openRegularFile(const std::string& path);

// The size of the open file; throws ContainedFileError (Unreadable).
int64_t fileSize(int fd);
// Reads exactly [offset, offset + length) of the open file.
std::string readRange(int fd, int64_t offset, int64_t length);

}  // namespace dlc::onnx_io
