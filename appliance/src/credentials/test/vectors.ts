// Made by make-vectors.py in this folder (Python hashlib/hmac only; X25519 from RFC 7748 §6.1).
// Do not edit by hand: change the script and run it again.
export const vectors = {
  "token": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
  "linkId": "oA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs",
  "claimKeys": {
    "request": "121c6944e1d8ee542b462383e4a474db69bbb4cf2a4824450a8d88a977fa3e4c",
    "response": "c6a6000bc6852620d55350e532975568df56b2c85442dfb7d8354cd0db2b9ce4"
  },
  "pageSecret": "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
  "pagePublic": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo",
  "boxSecret": "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
  "boxPublic": "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08",
  "sharedSecret": "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
  "deviceKeys": {
    "request": "15c865fd262e4bd348804c61e47750163cd9393800e6cc344e56da0b01f0381e",
    "response": "470502c4c2988045303661203741abb017bec1efcaddcfdb456a349426c84d18"
  },
  "exchanges": [
    {
      "name": "claim",
      "method": "POST",
      "base": "http://192.168.1.20:8080",
      "path": "/whep",
      "n": 1,
      "key": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo",
      "body": "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB:CD:EF\r\n",
      "bodySha256": "a11228f8c7503ee6851cbd7ae79e5aa9c22dcf23eb200b2edf677d5924a0e796",
      "canonical": "sonobox/v1 request\nPOST\nhttp://192.168.1.20:8080\n/whep\noA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs\n1\nhSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\na11228f8c7503ee6851cbd7ae79e5aa9c22dcf23eb200b2edf677d5924a0e796",
      "mac": "8Z7LebDyBkaN7x9Hf2nCz9zBdHM18JVp8YUYPdHzHnw",
      "authorization": "Sonobox-Proof id=oA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs, n=1, key=hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo, mac=8Z7LebDyBkaN7x9Hf2nCz9zBdHM18JVp8YUYPdHzHnw",
      "response": {
        "status": 201,
        "location": "/whep/r1AAAAAAAAAAAAAAAAAAAA",
        "key": "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08",
        "link": "",
        "body": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=sonobox\r\nt=0 0\r\n",
        "bodySha256": "0ecb5e77c3927b8d7323964b864bf8a442fbb1eb39aef79cc3ea26efa25c0696",
        "canonical": "sonobox/v1 response\n1\n201\n/whep/r1AAAAAAAAAAAAAAAAAAAA\n3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08\n\na11228f8c7503ee6851cbd7ae79e5aa9c22dcf23eb200b2edf677d5924a0e796\n0ecb5e77c3927b8d7323964b864bf8a442fbb1eb39aef79cc3ea26efa25c0696",
        "proof": "yP2CdWdZum6nhZl6RPV7es69iU69GRVFfiEtvSJCkog"
      }
    },
    {
      "name": "resume through the relay",
      "method": "POST",
      "base": "https://relay.example.org/b/cart-3",
      "path": "/whep",
      "n": 2,
      "key": null,
      "body": "v=0\r\no=- 4611731400430051336 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:Zq9x\r\n",
      "bodySha256": "0ae3c97c3ce0775a90132b60700ae2e1c354c1ee76bf98763c30dafbf3b5c86a",
      "canonical": "sonobox/v1 request\nPOST\nhttps://relay.example.org/b/cart-3\n/whep\noA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs\n2\n\n0ae3c97c3ce0775a90132b60700ae2e1c354c1ee76bf98763c30dafbf3b5c86a",
      "mac": "tB3ivoPTxclKFYQUcMuhYn-AXmajZagxtgddVtg4L3s",
      "authorization": "Sonobox-Proof id=oA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs, n=2, mac=tB3ivoPTxclKFYQUcMuhYn-AXmajZagxtgddVtg4L3s",
      "response": {
        "status": 201,
        "location": "/whep/r2AAAAAAAAAAAAAAAAAAAA",
        "key": "",
        "link": "<turn:relay.example.org:443?transport=tcp>; rel=\"ice-server\"; username=\"1700000000:box\"; credential=\"c2VjcmV0\"",
        "body": "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=sonobox\r\nt=0 0\r\n",
        "bodySha256": "f6e9c6372660150a624c5fa4e2b63daa3da44476a506b42aa2558baf5c7f7e38",
        "canonical": "sonobox/v1 response\n2\n201\n/whep/r2AAAAAAAAAAAAAAAAAAAA\n\n<turn:relay.example.org:443?transport=tcp>; rel=\"ice-server\"; username=\"1700000000:box\"; credential=\"c2VjcmV0\"\n0ae3c97c3ce0775a90132b60700ae2e1c354c1ee76bf98763c30dafbf3b5c86a\nf6e9c6372660150a624c5fa4e2b63daa3da44476a506b42aa2558baf5c7f7e38",
        "proof": "iC9anE62pbnpt-vGl8FfGJpBQyVJTuCQ07z_SopuAsQ"
      }
    },
    {
      "name": "events",
      "method": "GET",
      "base": "http://192.168.1.20:8080",
      "path": "/whep/r2AAAAAAAAAAAAAAAAAAAA/events",
      "n": 4,
      "key": null,
      "body": "",
      "bodySha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "canonical": "sonobox/v1 request\nGET\nhttp://192.168.1.20:8080\n/whep/r2AAAAAAAAAAAAAAAAAAAA/events\noA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs\n4\n\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "mac": "4di46K-dZGt4evpNfcnUZNkML_g7wyvuSetQv0DKHdU",
      "authorization": "Sonobox-Proof id=oA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs, n=4, mac=4di46K-dZGt4evpNfcnUZNkML_g7wyvuSetQv0DKHdU",
      "events": [
        {
          "seq": 0,
          "data": "{\"state\":\"live\"}",
          "canonical": "sonobox/v1 event\n4\n0\n{\"state\":\"live\"}",
          "proof": "OJNWtYmQAPidooGSBiBKPwPV9QHlx2M1vyg5mjoJMOE"
        },
        {
          "seq": 1,
          "data": "{\"state\":\"ended\"}",
          "canonical": "sonobox/v1 event\n4\n1\n{\"state\":\"ended\"}",
          "proof": "m5eFnmT6gvmcdoABPfEVkC2B_TznrP51nTtsOYLg1-o"
        }
      ]
    },
    {
      "name": "leave",
      "method": "DELETE",
      "base": "http://192.168.1.20:8080",
      "path": "/whep/r2AAAAAAAAAAAAAAAAAAAA",
      "n": 3,
      "key": null,
      "body": "",
      "bodySha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "canonical": "sonobox/v1 request\nDELETE\nhttp://192.168.1.20:8080\n/whep/r2AAAAAAAAAAAAAAAAAAAA\noA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs\n3\n\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "mac": "kdgC7w2lud_Jf2GNOj5JTS6xTisMCmL58fHo_wl1cSg",
      "authorization": "Sonobox-Proof id=oA9WULMH_qGDrv9gFhqrv9iZ9scVSgC1xGDV12vWdQs, n=3, mac=kdgC7w2lud_Jf2GNOj5JTS6xTisMCmL58fHo_wl1cSg",
      "response": {
        "status": 200,
        "location": "",
        "key": "",
        "link": "",
        "body": "",
        "bodySha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "canonical": "sonobox/v1 response\n3\n200\n\n\n\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "proof": "JPZMMlcAEdGL57Ud-8Icuxq5Kv4nyEJM-X2xX7g0nF0"
      }
    }
  ]
} as const;
