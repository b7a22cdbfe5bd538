// Package lists reads and writes the hash lists trust-and-safety teams
// already hold: python-threatexchange's files, ThreatExchange, TCAP, NCMEC
// and StopNCII answers, and the PDQ tools' lists.
//
// (The mapping rules are documented here; see the package's files.)
package lists
