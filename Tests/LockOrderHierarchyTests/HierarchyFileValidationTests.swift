import Testing

@testable import LockOrderHierarchy

/// One test per validation failure of a hierarchy file, each asserting the
/// exact one-line description.
@Suite("File validation")
struct FileValidationTests {
    // MARK: Malformed JSON and shapes

    @Test("malformed JSON: unclosed object")
    func malformedUnclosed() {
        #expect(
            decodeFailure(#"{"name": "x", "locks": ["#, source: "bad.json")
                == "lockorder: hierarchy 'bad.json': malformed JSON: The given data was not valid JSON.")
    }

    @Test("malformed JSON: empty file")
    func malformedEmpty() {
        #expect(
            decodeFailure("", source: "empty.json")
                == "lockorder: hierarchy 'empty.json': malformed JSON: The given data was not valid JSON.")
    }

    @Test("malformed JSON: trailing text")
    func malformedTrailing() {
        #expect(
            decodeFailure(sampleJSON() + " x")
                == "lockorder: hierarchy 'test.json': malformed JSON: The given data was not valid JSON.")
    }

    @Test("malformed JSON: a position in the decoder's text becomes the location")
    func malformedWithPosition() {
        let error = HierarchyError.malformedJSON(
            decoderText:
                "The given data was not valid JSON.\nUnexpected character 'x' around line 4, column 9.",
            source: "bad.json")
        #expect(
            error.description
                == "lockorder: hierarchy 'bad.json': line 4, column 9: malformed JSON: The given data was not valid JSON. Unexpected character 'x' around line 4, column 9."
        )
        let position = JSONDecodingProblem.lineAndColumn(in: "baseline 3, line x, line 12, column 40")
        #expect(position?.line == 12)
        #expect(position?.column == 40)
        #expect(JSONDecodingProblem.lineAndColumn(in: "no position") == nil)
    }

    @Test("the top level is not an object")
    func topLevelArray() {
        #expect(
            decodeFailure("[1, 2]")
                == "lockorder: hierarchy 'test.json': expected an object, found an array")
    }

    @Test("missing key: name")
    func missingName() {
        #expect(
            decodeFailure(#"{"locks": [{"name": "a", "level": 1}]}"#)
                == "lockorder: hierarchy 'test.json': name: missing required key 'name'")
    }

    @Test("missing key: locks")
    func missingLocks() {
        #expect(
            decodeFailure(#"{"name": "x"}"#)
                == "lockorder: hierarchy 'test.json': locks: missing required key 'locks'")
    }

    @Test("missing key: a lock's level")
    func missingLevel() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": 2}, {"name": "b"}]"#))
                == "lockorder: hierarchy 'test.json': locks[1].level: missing required key 'level'")
    }

    @Test("wrong type: a level given as a string")
    func levelIsString() {
        #expect(
            decodeFailure(
                sampleJSON(
                    locks:
                        #"[{"name": "a", "level": 2}, {"name": "b", "level": 1}, {"name": "c", "level": "1"}]"#
                ))
                == "lockorder: hierarchy 'test.json': locks[2].level: expected an integer, found a string")
    }

    @Test("wrong type: a level given as null")
    func levelIsNull() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": null}]"#))
                == "lockorder: hierarchy 'test.json': locks[0].level: expected an integer, found null")
    }

    @Test("wrong type: a level that is not an integer")
    func levelIsFraction() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": 3.5}]"#))
                == "lockorder: hierarchy 'test.json': locks[0].level: level 3.5 is not an integer")
    }

    @Test("wrong type: a level too large for Int")
    func levelIsHuge() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": 1e300}]"#))
                == "lockorder: hierarchy 'test.json': locks[0].level: level 1e+300 is out of range 1...255")
    }

    @Test("wrong type: locks given as an object")
    func locksIsObject() {
        #expect(
            decodeFailure(#"{"name": "x", "locks": {"a": 1}}"#)
                == "lockorder: hierarchy 'test.json': locks: expected an array, found an object")
    }

    @Test("wrong type: a lock given as a number")
    func lockIsNumber() {
        #expect(
            decodeFailure(#"{"name": "x", "locks": [7]}"#)
                == "lockorder: hierarchy 'test.json': locks[0]: expected an object, found a number")
    }

    @Test("wrong type: a name given as a boolean")
    func nameIsBool() {
        #expect(
            decodeFailure(#"{"name": true, "locks": []}"#)
                == "lockorder: hierarchy 'test.json': name: expected a string, found a boolean")
    }

    @Test("unknown key at the top level")
    func unknownTopLevelKey() {
        #expect(
            decodeFailure(sampleJSON(extra: #""exeptions": []"#))
                == "lockorder: hierarchy 'test.json': exeptions: unknown key 'exeptions' (expected name, locks, exceptions, implicitAcquisitions, forbiddenOperations)"
        )
    }

    @Test("unknown key in a lock")
    func unknownLockKey() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": 1, "kidn": "x"}]"#))
                == "lockorder: hierarchy 'test.json': locks[0].kidn: unknown key 'kidn' (expected name, level, kind, note)"
        )
    }

    // MARK: Names and levels

    @Test("empty hierarchy name")
    func emptyName() {
        #expect(
            decodeFailure(#"{"name": "", "locks": [{"name": "a", "level": 1}]}"#)
                == "lockorder: hierarchy 'test.json': name: hierarchy name is empty")
    }

    @Test("no locks")
    func noLocks() {
        #expect(
            decodeFailure(#"{"name": "x", "locks": []}"#)
                == "lockorder: hierarchy 'test.json': locks: no locks declared")
    }

    @Test("empty lock name")
    func emptyLockName() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": 2}, {"name": "", "level": 1}]"#))
                == "lockorder: hierarchy 'test.json': locks[1].name: lock name is empty")
    }

    @Test("duplicate lock name")
    func duplicateLockName() {
        let locks = """
            [{"name": "a", "level": 6}, {"name": "x", "level": 5}, {"name": "b", "level": 4},
             {"name": "c", "level": 3}, {"name": "d", "level": 2}, {"name": "x", "level": 1}]
            """
        #expect(
            decodeFailure(sampleJSON(locks: locks))
                == "lockorder: hierarchy 'test.json': locks[5].name: duplicate lock name 'x' (first at locks[1])"
        )
    }

    @Test("level below the range")
    func levelTooLow() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": 1}, {"name": "b", "level": 0}]"#))
                == "lockorder: hierarchy 'test.json': locks[1].level: level 0 is out of range 1...255")
    }

    @Test("level above the range")
    func levelTooHigh() {
        #expect(
            decodeFailure(
                sampleJSON(
                    locks:
                        #"[{"name": "a", "level": 1}, {"name": "b", "level": 2}, {"name": "c", "level": 3}, {"name": "d", "level": 256}]"#
                ))
                == "lockorder: hierarchy 'test.json': locks[3].level: level 256 is out of range 1...255")
    }

    @Test("negative level")
    func levelNegative() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": -3}]"#))
                == "lockorder: hierarchy 'test.json': locks[0].level: level -3 is out of range 1...255")
    }

    @Test("empty kind label")
    func emptyKind() {
        #expect(
            decodeFailure(sampleJSON(locks: #"[{"name": "a", "level": 1, "kind": ""}]"#))
                == "lockorder: hierarchy 'test.json': locks[0].kind: kind label is empty (leave the key out instead)"
        )
    }

    // MARK: Exceptions

    @Test("exception naming an unknown lock")
    func exceptionUnknownLock() {
        #expect(
            decodeFailure(sampleJSON(extra: #""exceptions": [{"type": "instanceOrder", "lock": "foo"}]"#))
                == "lockorder: hierarchy 'test.json': exceptions[0].lock: unknown lock 'foo'")
    }

    @Test("exception naming an unknown guard")
    func exceptionUnknownGuard() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra: #""exceptions": [{"type": "guardedSameLevel", "lock": "middle", "guard": "foo"}]"#)
            )
                == "lockorder: hierarchy 'test.json': exceptions[0].guard: unknown lock 'foo'")
    }

    @Test("unknown exception type")
    func exceptionUnknownType() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""exceptions": [{"type": "instanceOrder", "lock": "middle"}, {"type": "sameLevel", "lock": "inner"}]"#
                ))
                == "lockorder: hierarchy 'test.json': exceptions[1].type: unknown exception type 'sameLevel' (expected guardedSameLevel or instanceOrder)"
        )
    }

    @Test("exception without a type")
    func exceptionMissingType() {
        #expect(
            decodeFailure(sampleJSON(extra: #""exceptions": [{"lock": "middle"}]"#))
                == "lockorder: hierarchy 'test.json': exceptions[0].type: missing required key 'type'")
    }

    @Test("guardedSameLevel without a guard")
    func exceptionMissingGuard() {
        #expect(
            decodeFailure(
                sampleJSON(extra: #""exceptions": [{"type": "guardedSameLevel", "lock": "middle"}]"#))
                == "lockorder: hierarchy 'test.json': exceptions[0].guard: missing required key 'guard'")
    }

    @Test("instanceOrder with a guard")
    func exceptionExtraGuard() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra: #""exceptions": [{"type": "instanceOrder", "lock": "middle", "guard": "outer"}]"#))
                == "lockorder: hierarchy 'test.json': exceptions[0].guard: unknown key 'guard' (expected type, lock)"
        )
    }

    @Test("guard at the same level as the guarded lock")
    func guardSameLevel() {
        let locks = #"[{"name": "a", "level": 3}, {"name": "b", "level": 3}]"#
        #expect(
            decodeFailure(
                sampleJSON(
                    locks: locks,
                    extra: #""exceptions": [{"type": "guardedSameLevel", "lock": "a", "guard": "b"}]"#))
                == "lockorder: hierarchy 'test.json': exceptions[0].guard: guard 'b' (level 3) must have a higher level than 'a' (level 3)"
        )
    }

    @Test("guard below the guarded lock")
    func guardLowerLevel() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""exceptions": [{"type": "guardedSameLevel", "lock": "middle", "guard": "inner"}]"#))
                == "lockorder: hierarchy 'test.json': exceptions[0].guard: guard 'inner' (level 1) must have a higher level than 'middle' (level 3)"
        )
    }

    @Test("guard is the guarded lock itself")
    func guardIsItself() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""exceptions": [{"type": "guardedSameLevel", "lock": "middle", "guard": "middle"}]"#)
            )
                == "lockorder: hierarchy 'test.json': exceptions[0].guard: guard 'middle' (level 3) must have a higher level than 'middle' (level 3)"
        )
    }

    @Test("two exceptions for one lock")
    func secondException() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""exceptions": [{"type": "instanceOrder", "lock": "middle"}, {"type": "guardedSameLevel", "lock": "middle", "guard": "outer"}]"#
                ))
                == "lockorder: hierarchy 'test.json': exceptions[1].lock: second exception for lock 'middle' (first at exceptions[0])"
        )
    }

    // MARK: Implicit acquisitions

    @Test("implicit acquisition of an unknown lock")
    func implicitUnknownLock() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra: #""implicitAcquisitions": [{"option": "safepoint", "lock": "safepoint_lock"}]"#))
                == "lockorder: hierarchy 'test.json': implicitAcquisitions[0].lock: unknown lock 'safepoint_lock'"
        )
    }

    @Test("implicit acquisition with an empty option")
    func implicitEmptyOption() {
        #expect(
            decodeFailure(sampleJSON(extra: #""implicitAcquisitions": [{"option": "", "lock": "inner"}]"#))
                == "lockorder: hierarchy 'test.json': implicitAcquisitions[0].option: option is empty")
    }

    // MARK: Forbidden operations and selectors

    @Test("forbidden operation with an empty operation")
    func forbiddenEmptyOperation() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra: #""forbiddenOperations": [{"operation": "", "whileHolding": {"levels": [1]}}]"#))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].operation: operation is empty")
    }

    @Test("selector with no key")
    func selectorNoKey() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra: #""forbiddenOperations": [{"operation": "io", "whileHolding": {}, "reason": "r"}]"#
                ))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding: selector needs exactly one of levels, kinds, listedBefore, locks; found none"
        )
    }

    @Test("selector with several keys")
    func selectorSeveralKeys() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""forbiddenOperations": [{"operation": "io", "whileHolding": {"kinds": ["std::mutex"], "levels": [1]}}]"#
                ))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding: selector needs exactly one of levels, kinds, listedBefore, locks; found 2: levels, kinds"
        )
    }

    @Test("selector with an unknown key")
    func selectorUnknownKey() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""forbiddenOperations": [{"operation": "io", "whileHolding": {"lock": ["inner"]}}]"#)
            )
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding.lock: unknown key 'lock' (expected levels, kinds, listedBefore, locks)"
        )
    }

    @Test("selector listedBefore an unknown lock")
    func selectorListedBeforeUnknown() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""forbiddenOperations": [{"operation": "io", "whileHolding": {"listedBefore": "jl_uv_mutex"}}]"#
                ))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding.listedBefore: unknown lock 'jl_uv_mutex'"
        )
    }

    @Test("selector naming an unknown lock")
    func selectorLocksUnknown() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""forbiddenOperations": [{"operation": "io", "whileHolding": {"locks": ["inner", "foo"]}}]"#
                ))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding.locks[1]: unknown lock 'foo'"
        )
    }

    @Test("selector naming a kind no lock has")
    func selectorUnknownKind() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""forbiddenOperations": [{"operation": "task_switch", "whileHolding": {"kinds": ["jl_mutex_t"]}}]"#
                ))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding.kinds[0]: no declared lock has kind 'jl_mutex_t'"
        )
    }

    @Test("selector with a level out of range")
    func selectorLevelOutOfRange() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""forbiddenOperations": [{"operation": "io", "whileHolding": {"levels": [1, 300]}}]"#
                ))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding.levels[1]: level 300 is out of range 1...255"
        )
    }

    @Test("selector with a level that is not an integer")
    func selectorLevelFraction() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""forbiddenOperations": [{"operation": "io", "whileHolding": {"levels": [1, 1.5]}}]"#
                ))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding.levels[1]: level 1.5 is not an integer"
        )
    }

    @Test("selector with an empty list")
    func selectorEmptyList() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra: #""forbiddenOperations": [{"operation": "io", "whileHolding": {"locks": []}}]"#))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding.locks: empty list")
    }

    @Test("selector value of the wrong type")
    func selectorWrongType() {
        #expect(
            decodeFailure(
                sampleJSON(
                    extra:
                        #""forbiddenOperations": [{"operation": "io", "whileHolding": {"listedBefore": ["inner"]}}]"#
                ))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding.listedBefore: expected a string, found an array"
        )
    }

    @Test("forbidden operation without a selector")
    func forbiddenMissingSelector() {
        #expect(
            decodeFailure(sampleJSON(extra: #""forbiddenOperations": [{"operation": "io"}]"#))
                == "lockorder: hierarchy 'test.json': forbiddenOperations[0].whileHolding: missing required key 'whileHolding'"
        )
    }

    // MARK: One line

    @Test("line breaks in the source and text become spaces")
    func oneLine() {
        #expect(
            decodeFailure(#"{"name": "", "locks": [{"name": "a", "level": 1}]}"#, source: "two\nlines.json")
                == "lockorder: hierarchy 'two lines.json': name: hierarchy name is empty")
        let error = HierarchyError(source: "s", location: "", problem: "first\r\nsecond\nthird\n")
        #expect(error.description == "lockorder: hierarchy 's': first second third")
        #expect(!error.description.contains("\n"))
    }
}

@Suite("Robustness")
struct RobustnessTests {
    static let full = sampleJSON(
        extra: """
            "exceptions": [{"type": "guardedSameLevel", "lock": "middle", "guard": "outer"}],
              "implicitAcquisitions": [{"option": "safepoint", "lock": "inner"}],
              "forbiddenOperations": [{"operation": "io", "whileHolding": {"levels": [1, 3]}, "reason": "r\\nr"}]
            """)

    @Test("the full sample is valid")
    func fullSampleIsValid() {
        #expect(decodeFailure(RobustnessTests.full) == nil)
    }

    @Test("every proper prefix of a valid file fails with a one-line error")
    func everyPrefixFails() {
        let bytes = Array(RobustnessTests.full.utf8)
        #expect(bytes.last == UInt8(ascii: "}"))
        for length in 0..<bytes.count {
            do {
                _ = try LockHierarchy.decode(json: Array(bytes[0..<length]), source: "p.json")
                Issue.record("prefix of length \(length) decoded")
            } catch {
                #expect(!error.description.contains("\n"))
                #expect(error.description.hasPrefix("lockorder: hierarchy 'p.json': "))
            }
        }
    }

    @Test("replacing any single byte never crashes and errors stay on one line")
    func singleByteMutations() {
        let bytes = Array(RobustnessTests.full.utf8)
        let replacements: [UInt8] = [0x00, 0x22, 0x2C, 0x31, 0x5B, 0x5D, 0x7B, 0x7D, 0x0A, 0xFF]
        for index in bytes.indices {
            for replacement in replacements where bytes[index] != replacement {
                var mutated = bytes
                mutated[index] = replacement
                do {
                    _ = try LockHierarchy.decode(json: mutated, source: "m.json")
                } catch {
                    #expect(!error.description.contains("\n"))
                    #expect(!error.problem.isEmpty)
                }
            }
        }
    }
}
