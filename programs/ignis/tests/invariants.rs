//! Long random instruction sequences (filled in next).
