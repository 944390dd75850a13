#include "frontend/onnx/TensorProtoIO.h"

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "frontend/onnx/ContainedFile.h"
#include "runtime/TensorLimits.h"

namespace fs = std::filesystem;

namespace dlc::onnx_io {

using rt::DType;

std::string onnxTypeName(int t) {
  switch (t) {
    case 1: return "float";
    case 2: return "uint8";
    case 3: return "int8";
    case 4: return "uint16";
    case 5: return "int16";
    case 6: return "int32";
    case 7: return "int64";
    case 8: return "string";
    case 9: return "bool";
    case 10: return "float16";
    case 11: return "double";
    case 12: return "uint32";
    case 13: return "uint64";
    case 14: return "complex64";
    case 15: return "complex128";
    case 16: return "bfloat16";
    case 17: return "float8e4m3fn";
    case 18: return "float8e4m3fnuz";
    case 19: return "float8e5m2";
    case 20: return "float8e5m2fnuz";
    case 21: return "uint4";
    case 22: return "int4";
    case 23: return "float4e2m1";
    case 24: return "float8e8m0";
    case 25: return "uint2";
    case 26: return "int2";
    default: return "data type " + std::to_string(t);
  }
}

DType dtypeFromOnnx(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return DType::F32;
    case onnx::TensorProto::FLOAT16: return DType::F16;
    case onnx::TensorProto::BFLOAT16: return DType::BF16;
    case onnx::TensorProto::DOUBLE: return DType::F64;
    case onnx::TensorProto::INT64: return DType::I64;
    case onnx::TensorProto::INT32: return DType::I32;
    case onnx::TensorProto::INT8: return DType::I8;
    case onnx::TensorProto::BOOL: return DType::I1;
    case onnx::TensorProto::INT16: return DType::I16;
    case onnx::TensorProto::UINT8: return DType::U8;
    case onnx::TensorProto::UINT16: return DType::U16;
    case onnx::TensorProto::UINT32: return DType::U32;
    case onnx::TensorProto::UINT64: return DType::U64;
    default:
      throw TensorError("element type " + onnxTypeName(t) + " is not supported by dlc");
  }
}

int dtypeToOnnx(DType t) {
  switch (t) {
    case DType::F32: return onnx::TensorProto::FLOAT;
    case DType::F16: return onnx::TensorProto::FLOAT16;
    case DType::BF16: return onnx::TensorProto::BFLOAT16;
    case DType::F64: return onnx::TensorProto::DOUBLE;
    case DType::I64: return onnx::TensorProto::INT64;
    case DType::I32: return onnx::TensorProto::INT32;
    case DType::I8: return onnx::TensorProto::INT8;
    case DType::I1: return onnx::TensorProto::BOOL;
    case DType::I16: return onnx::TensorProto::INT16;
    case DType::U8: return onnx::TensorProto::UINT8;
    case DType::U16: return onnx::TensorProto::UINT16;
    case DType::U32: return onnx::TensorProto::UINT32;
    case DType::U64: return onnx::TensorProto::UINT64;
  }
  return onnx::TensorProto::UNDEFINED;
}

namespace {

// Validates dims and returns the byte size, refusing negative dims,
// products that overflow and sizes past rt::kMaxTensorBytes before anything
// is allocated.
int64_t checkedByteSize(const rt::TensorType& type) {
  std::string problem = rt::tensorSizeProblem(type.dtype, type.shape);
  if (!problem.empty()) throw TensorError(problem);
  return type.byteSize();
}

// Reads [offset, offset+length) of an external data file that must lie
// inside baseDir.
std::string readExternal(const onnx::TensorProto& t, const std::string& baseDir,
                         int64_t expectedBytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  // The whole value must be the number: stoll would read "12abc" as 12.
  auto number = [](const onnx::StringStringEntryProto& kv) {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(kv.value(), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != kv.value().size())
      throw TensorError("external data " + kv.key() + " '" + kv.value() + "' is not a number");
    return v;
  };
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = number(kv);
    else if (kv.key() == "length") length = number(kv);
  }
  if (location.empty()) throw TensorError("external data has no location");
  if (location.find('\0') != std::string::npos)
    throw TensorError("external data location holds a NUL byte");
  // Opened inside the model's folder (ContainedFile.h): what is read is
  // inside it even if the folder changes while it is opened.
  FileDescriptor fd;
  try {
    fd = openContained(baseDir, location);
  } catch (const ContainedFileError& e) {
    using Kind = ContainedFileError::Kind;
    switch (e.kind) {
      case Kind::Absolute:
        throw TensorError("external data location '" + location + "' is absolute");
      case Kind::DotDot:
        throw TensorError("external data location '" + location + "' leaves the model directory");
      case Kind::Leaves:
        throw TensorError("external data location '" + location + "' resolves outside the model directory");
      default:
        throw TensorError("external data file '" + location + "' " + e.what());
    }
  }
  try {
    int64_t size = fileSize(fd.get());
    if (length < 0) length = expectedBytes;
    if (offset < 0 || offset > size || length > size - offset)
      throw TensorError("external data [" + std::to_string(offset) + ", +" + std::to_string(length) +
                        ") lies outside '" + location + "' (" + std::to_string(size) + " bytes)");
    if (length != expectedBytes)
      throw TensorError("external data holds " + std::to_string(length) + " bytes, the shape needs " +
                        std::to_string(expectedBytes));
    return readRange(fd.get(), offset, length);
  } catch (const ContainedFileError& e) {
    throw TensorError("external data file '" + location + "' " + e.what());
  }
}

// Copies a repeated field (its length already checked) into the tensor,
// converting each value to the storage type T.
template <typename T, typename Field>
void fromTyped(const Field& field, rt::HostTensor& out) {
  T* dst = out.as<T>();
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<T>(field.Get(i));
}

// The repeated field that holds a dtype's values, and its length
// (onnx.proto: uint32 and uint64 live in uint64_data, every type narrower
// than 32 bits and int32 in int32_data).
std::pair<const char*, int64_t> typedField(const onnx::TensorProto& t, DType d) {
  switch (d) {
    case DType::F32: return {"float_data", t.float_data_size()};
    case DType::F64: return {"double_data", t.double_data_size()};
    case DType::I64: return {"int64_data", t.int64_data_size()};
    case DType::U32:
    case DType::U64: return {"uint64_data", t.uint64_data_size()};
    default: return {"int32_data", t.int32_data_size()};
  }
}

}  // namespace

rt::HostTensor fromTensorProto(const onnx::TensorProto& t, const std::string& baseDir) {
  rt::TensorType type;
  type.dtype = dtypeFromOnnx(t.data_type());
  type.shape.assign(t.dims().begin(), t.dims().end());
  int64_t bytes = checkedByteSize(type);
  int64_t n = type.numElements();

  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string raw = readExternal(t, baseDir, bytes);
    return rt::HostTensor(type, raw.data());
  }
  if (t.has_raw_data()) {
    if (static_cast<int64_t>(t.raw_data().size()) != bytes)
      throw TensorError("raw_data holds " + std::to_string(t.raw_data().size()) +
                        " bytes, shape " + rt::shapeString(type.shape) + " of " +
                        std::string(rt::dtypeName(type.dtype)) + " needs " + std::to_string(bytes));
    return rt::HostTensor(type, t.raw_data().data());
  }
  // Check the count before allocating: a huge declared shape with no data
  // must not allocate anything.
  auto [field, have] = typedField(t, type.dtype);
  if (have != n)
    throw TensorError(std::string(field) + " holds " + std::to_string(have) +
                      " values, shape " + rt::shapeString(type.shape) + " needs " +
                      std::to_string(n));
  rt::HostTensor out(type);
  switch (type.dtype) {
    case DType::F32: fromTyped<float>(t.float_data(), out); break;
    case DType::F64: fromTyped<double>(t.double_data(), out); break;
    case DType::I64: fromTyped<int64_t>(t.int64_data(), out); break;
    case DType::I32: fromTyped<int32_t>(t.int32_data(), out); break;
    case DType::I8: fromTyped<int8_t>(t.int32_data(), out); break;
    case DType::I16: fromTyped<int16_t>(t.int32_data(), out); break;
    case DType::U8: fromTyped<uint8_t>(t.int32_data(), out); break;
    case DType::U16: fromTyped<uint16_t>(t.int32_data(), out); break;
    case DType::U32: fromTyped<uint32_t>(t.uint64_data(), out); break;
    case DType::U64: fromTyped<uint64_t>(t.uint64_data(), out); break;
    case DType::I1:  // stored as one byte, 0 or 1
      for (int i = 0; i < t.int32_data_size(); ++i) out.as<uint8_t>()[i] = t.int32_data(i) != 0;
      break;
    case DType::F16:
    case DType::BF16: fromTyped<uint16_t>(t.int32_data(), out); break;  // the bit patterns
  }
  return out;
}

rt::HostTensor loadTensorFile(const std::string& path) {
  std::string bytes;
  try {
    FileDescriptor fd = openRegularFile(path);
    bytes = readRange(fd.get(), 0, fileSize(fd.get()));
  } catch (const ContainedFileError& e) {
    throw TensorError(path + ": the file " + e.what());
  }
  return parseTensorFile(bytes, path, fs::path(path).parent_path().string());
}

rt::HostTensor parseTensorFile(const std::string& bytes, const std::string& name,
                               const std::string& baseDir) {
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes)) throw TensorError(name + ": not a serialised onnx.TensorProto");
  try {
    return fromTensorProto(t, baseDir);
  } catch (const TensorError& e) {
    throw TensorError(name + ": " + e.what());
  }
}

void toTensorProto(const rt::HostTensor& t, onnx::TensorProto& p) {
  p.set_data_type(dtypeToOnnx(t.dtype()));
  p.clear_dims();
  for (int64_t d : t.shape()) p.add_dims(d);
  p.set_raw_data(t.data(), static_cast<size_t>(t.byteSize()));
}

void saveTensorFile(const std::string& path, const rt::HostTensor& t) {
  onnx::TensorProto p;
  toTensorProto(t, p);
  std::ofstream out(path, std::ios::binary);
  if (!out || !p.SerializeToOstream(&out)) throw TensorError(path + ": cannot write file");
}

}  // namespace dlc::onnx_io
