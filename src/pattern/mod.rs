//! Building blocks the socket types are made of: fair-queueing inbound (`fq`),
//! load-balancing outbound (`lb`), fan-out to many pipes (`dist`) and subscription
//! matching (`trie`).

pub mod dist;
pub mod fq;
pub mod lb;
pub mod trie;

pub use dist::Dist;
pub use fq::FairQueue;
pub use lb::LoadBalance;
