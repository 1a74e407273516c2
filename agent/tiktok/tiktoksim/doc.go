// Package tiktoksim is Packline's TikTok Shop simulator. It speaks the
// Open API's real paths and JSON shapes (version 202309), verifies request
// signatures, timestamps, shop ciphers and access tokens the way TikTok
// does, seeds realistic orders for one warehouse, sells shipping labels
// (Create Packages) and serves them as real A6 PDF documents, counts label
// purchases and injects faults on demand. The demo, the integration tests
// and the benchmarks run the agent against it.
package tiktoksim
