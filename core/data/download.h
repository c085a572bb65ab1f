#pragma once
// Downloading the data sets: official addresses (configurable), progress and cancel, resume of a
// partial download, MD5 verification before anything is used, safe .tar.gz extraction. A failed,
// cancelled or tampered download never leaves a file under its final name: bytes go to
// NAME.part, which is renamed only after its checksum matched.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ll {

struct RemoteFile {
    std::string name;  // file name, e.g. "train-images-idx3-ubyte.gz"
    std::string md5;   // published MD5, lower-case hex
};

struct DataSource {
    std::string dataset;  // "mnist" | "cifar10"
    std::string baseUrl;  // files are fetched from baseUrl + "/" + name
    std::vector<RemoteFile> files;
    std::string subdir;    // where they go below the destination ("mnist", "")
    bool extract = false;  // .tar.gz archives to unpack after verification
};

/// The official sources: MNIST from the torchvision mirror (the original host refuses scripts),
/// CIFAR-10's binary version from the University of Toronto. `baseUrl` overrides the address
/// (a local mirror, or the tests' server).
DataSource officialSource(const std::string& dataset, const std::string& baseUrl = "");

/// Called with bytes done and total (-1 when unknown) for the current file; return false to
/// cancel.
using DownloadProgress =
    std::function<bool(const std::string& file, std::int64_t done, std::int64_t total)>;

struct DownloadOptions {
    int stallSeconds = 30;  // give up when no byte arrives for this long
    int connectSeconds = 15;
    bool resume = true;  // continue NAME.part with an HTTP range request
};

/// Downloads every file of `source` into destDir/subdir that is not already there with the right
/// checksum, verifies, renames, and extracts archives. Returns the directory to pass as --data.
/// Throws DataError saying what happened (HTTP status, stall, checksum mismatch, cancel).
std::string downloadDataset(const DataSource& source, const std::string& destDir,
                            const DownloadProgress& progress = {},
                            const DownloadOptions& options = {});

/// MD5 of a file, lower-case hex.
std::string md5File(const std::string& path);

/// Unpacks a .tar.gz into destDir. Entries with absolute paths, ".." components, links or
/// devices are refused (DataError) before anything is written; files appear under their final
/// names only when the whole archive was read.
void extractTarGz(const std::string& archive, const std::string& destDir);

}  // namespace ll
