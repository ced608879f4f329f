//! The network side of awsctx. Knows nothing of shells and prints nothing: progress is
//! reported through callbacks, failures through typed errors.
