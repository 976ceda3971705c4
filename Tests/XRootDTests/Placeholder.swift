import XRootD
