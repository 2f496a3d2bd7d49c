"""Sign an RRset with dnspython for each algorithm the lab check validates (an independent
signer for test/lab/validate.test.ts): prints JSON with the DNSKEY, DS, RRset and RRSIG as
hex wire RDATA."""
import json, sys, time
import dns.dnssec, dns.name, dns.rdataclass, dns.rdatatype, dns.rdata, dns.rrset
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

zone = dns.name.from_text("lab.test.")
now = int(time.time())
out = []
for alg, key in [
    (13, ec.generate_private_key(ec.SECP256R1())),
    (14, ec.generate_private_key(ec.SECP384R1())),
    (15, ed25519.Ed25519PrivateKey.generate()),
    (8, rsa.generate_private_key(public_exponent=65537, key_size=2048)),
]:
    dnskey = dns.dnssec.make_dnskey(key.public_key(), alg, flags=257)
    ds = dns.dnssec.make_ds(zone, dnskey, "SHA256")
    rrset = dns.rrset.from_text("www.lab.test.", 300, "IN", "A", "192.0.2.1", "192.0.2.2")
    sig = dns.dnssec.sign(rrset, key, zone, dnskey, inception=now - 3600, expiration=now + 86400)
    h = lambda rd: rd.to_wire().hex()
    out.append({
        "algorithm": alg,
        "dnskey": h(dnskey), "ds": h(ds),
        "rrset": {"name": "www.lab.test.", "type": 1, "ttl": 300, "rdatas": [h(r) for r in rrset]},
        "rrsig": h(sig),
    })
json.dump(out, sys.stdout)
