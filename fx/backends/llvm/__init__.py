"""The LLVM CPU backend: kernel programs compiled to native code with llvmlite."""
