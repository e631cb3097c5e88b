import ArgumentParser
import RunclinicEngine

extension DiskSync: ExpressibleByArgument {}
