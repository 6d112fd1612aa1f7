//! Building blocks the socket types are made of: fair-queueing inbound (`fq`),
//! load-balancing outbound (`lb`) and fan-out to many pipes (`dist`).

pub mod dist;
pub mod fq;
pub mod lb;

pub use dist::Dist;
pub use fq::FairQueue;
pub use lb::LoadBalance;
