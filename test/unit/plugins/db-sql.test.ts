import {describe, expect, it} from 'vitest'

import {forDriver, parseStatement, placeholderProblem} from '../../../plugins/db/src/sql.js'

const refsOf = (sql: string): number[] => parseStatement(sql).refs

describe('db placeholders', () => {
  it('finds $N outside strings, quoted names, comments and dollar-quoted bodies', () => {
    expect(refsOf('SELECT * FROM t WHERE a = $1 AND b IN ($2, $10)')).toEqual([1, 2, 10])
    expect(refsOf("SELECT '$1', 'it''s $2', \"col$3\", $4")).toEqual([4])
    expect(refsOf('SELECT $1 -- not $2\n, /* nor $3 */ $5')).toEqual([1, 5])
    expect(refsOf('SELECT $$ $1 $$, $body$ $2 $body$, $3')).toEqual([3])
    expect(refsOf("SELECT E'\\' $1', $2")).toEqual([2])
    // An identifier may contain $ in PostgreSQL: a$1 is a name, not a placeholder.
    expect(refsOf('SELECT a$1, x[$2] FROM t')).toEqual([2])
  })

  it('gives SQLite ? in order of appearance, each bound to its value', () => {
    expect(forDriver(parseStatement('UPDATE t SET v = $2 WHERE k = $1 OR k2 = $1'), 'sqlite')).toEqual({
      params: [1, 0, 0],
      sql: 'UPDATE t SET v = ? WHERE k = ? OR k2 = ?',
    })
  })

  it('renumbers PostgreSQL placeholders over the values the statement uses', () => {
    // The second statement of a script uses $2 and $4 of the operation's four values.
    expect(forDriver(parseStatement('INSERT INTO c VALUES ($4, $2, $4)'), 'postgres')).toEqual({
      params: [1, 3],
      sql: 'INSERT INTO c VALUES ($2, $1, $2)',
    })
  })

  it('leaves a statement without placeholders as it is', () => {
    expect(forDriver(parseStatement("SELECT '$1'"), 'postgres')).toEqual({params: [], sql: "SELECT '$1'"})
    expect(forDriver(parseStatement("SELECT '$1'"), 'sqlite')).toEqual({params: [], sql: "SELECT '$1'"})
  })

  it('says when placeholders and params do not match, naming the scenario and the placeholder', () => {
    const one = [parseStatement('SELECT $1, $3')]
    expect(placeholderProblem(one, 2, 'scenario get')).toBe(
      'scenario get: the statement uses $3 but there are 2 params values ($1..$2); give one params entry per ' +
        'placeholder $1, $2, …',
    )
    expect(placeholderProblem([parseStatement('SELECT $1')], 0, 'scenario get')).toMatch(
      /uses \$1 but there are no params/,
    )
    expect(placeholderProblem([parseStatement('SELECT 1'), parseStatement('SELECT $2')], 2, 'scenario s')).toBe(
      'scenario s: params has 2 values but no statement uses $1; remove it, or use $1 (placeholders are $1, $2, … ' +
        'for SQLite and PostgreSQL alike)',
    )
    expect(
      placeholderProblem([parseStatement('SELECT $1'), parseStatement('SELECT $2, $1')], 2, 'scenario s'),
    ).toBeUndefined()
    expect(placeholderProblem([parseStatement('SELECT ?')], 1, 'scenario s')).toMatch(/no statement uses \$1/)
  })
})
