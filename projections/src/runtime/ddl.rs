//! A read model's tables are written in plain SQL, in a `tables.sql` beside
//! its module, with `{schema}` where the schema's name goes: one model can
//! live in several schemas (the live one, a replay's fresh one).

/// What `tables.sql` writes in place of the schema's name.
const SCHEMA: &str = "{schema}";

/// The statements of `sql` for the read model in `schema` (a checked
/// `SchemaName`, never input), one per `;`, comment lines left out.
pub(super) fn statements(sql: &str, schema: &str) -> Vec<String> {
    let code: String =
        sql.lines().filter(|line| !line.trim_start().starts_with("--")).map(|line| format!("{line}\n")).collect();
    code.split(';')
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .map(|statement| statement.replace(SCHEMA, schema))
        .collect()
}

/// The statements that make the tables `UNLOGGED` (see
/// `ProjectionStore::create_unlogged`).
pub(super) fn unlogged(statements: Vec<String>) -> Vec<String> {
    statements.into_iter().map(|statement| statement.replacen("CREATE TABLE", "CREATE UNLOGGED TABLE", 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_per_semicolon_with_the_schema_in_place_and_comments_dropped() {
        let sql =
            "-- a comment; with a semicolon\nCREATE TABLE {schema}.a (x int);\n\nCREATE INDEX i ON {schema}.a (x);\n";
        assert_eq!(
            statements(sql, "projection_x"),
            ["CREATE TABLE projection_x.a (x int)", "CREATE INDEX i ON projection_x.a (x)"]
        );
    }

    #[test]
    fn unlogged_changes_tables_only() {
        let made = unlogged(statements("CREATE TABLE {schema}.a (x int); CREATE INDEX i ON {schema}.a (x);", "s"));
        assert_eq!(made, ["CREATE UNLOGGED TABLE s.a (x int)", "CREATE INDEX i ON s.a (x)"]);
    }
}
