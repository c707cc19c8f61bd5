//! Change events between services (work in progress).
