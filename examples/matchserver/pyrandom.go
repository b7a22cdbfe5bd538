package main

import (
	"crypto/sha512"
	"math/big"
)

// pyRandom returns what Python's random.Random(seed).random() returns for
// a str seed, so that a seeded coinflip lands where HMA's does: the seed
// is the integer of seed's UTF-8 bytes followed by their SHA-512 (Python's
// version-2 seeding), whose 32-bit words, least significant first, seed a
// Mersenne Twister (MT19937's init_by_array); random() joins 27 and 26
// bits of two outputs into a 53-bit fraction.
func pyRandom(seed string) float64 {
	b := []byte(seed)
	sum := sha512.Sum512(b)
	n := new(big.Int).SetBytes(append(b, sum[:]...))
	var key []uint32
	for _, w := range n.Bits() {
		// big.Word is 64 or 32 bits; split it either way.
		key = append(key, uint32(w))
		if ^big.Word(0)>>32 != 0 {
			key = append(key, uint32(uint64(w)>>32))
		}
	}
	for len(key) > 1 && key[len(key)-1] == 0 {
		key = key[:len(key)-1]
	}
	if len(key) == 0 {
		key = []uint32{0}
	}
	var mt mt19937
	mt.seedArray(key)
	a, c := mt.next()>>5, mt.next()>>6
	return (float64(a)*67108864 + float64(c)) * (1.0 / 9007199254740992)
}

// mt19937 is the Mersenne Twister as Python's _random module runs it.
type mt19937 struct {
	s [624]uint32
	i int
}

func (m *mt19937) seed(v uint32) {
	m.s[0] = v
	for i := 1; i < len(m.s); i++ {
		m.s[i] = 1812433253*(m.s[i-1]^m.s[i-1]>>30) + uint32(i)
	}
	m.i = len(m.s)
}

func (m *mt19937) seedArray(key []uint32) {
	const n = len(m.s)
	m.seed(19650218)
	i, j := 1, 0
	for k := max(n, len(key)); k > 0; k-- {
		m.s[i] = (m.s[i] ^ (m.s[i-1]^m.s[i-1]>>30)*1664525) + key[j] + uint32(j)
		i, j = i+1, j+1
		if i >= n {
			m.s[0], i = m.s[n-1], 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := n - 1; k > 0; k-- {
		m.s[i] = (m.s[i] ^ (m.s[i-1]^m.s[i-1]>>30)*1566083941) - uint32(i)
		i++
		if i >= n {
			m.s[0], i = m.s[n-1], 1
		}
	}
	m.s[0] = 0x80000000
}

func (m *mt19937) next() uint32 {
	const n, k = len(m.s), 397
	if m.i >= n {
		for x := range n {
			y := m.s[x]&0x80000000 | m.s[(x+1)%n]&0x7fffffff
			v := m.s[(x+k)%n] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.s[x] = v
		}
		m.i = 0
	}
	y := m.s[m.i]
	m.i++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	return y ^ y>>18
}
