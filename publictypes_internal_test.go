package browseruse

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The generated types this package exports by alias are part of its API:
// their fields must read in types a user already imports, not in the
// generator's runtime package (openapi_types.UUID is uuid.UUID by another
// name, and sends readers to a package they never import).
func TestPublicGeneratedTypes_UseNoGeneratorTypes(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	exported := map[string]string{} // gen type -> our name
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok && ts.Assign.IsValid() && ts.Name.IsExported() {
				if sel, ok := ts.Type.(*ast.SelectorExpr); ok && sel.X.(*ast.Ident).Name == "gen" {
					exported[sel.Sel.Name] = ts.Name.Name
				}
			}
			return true
		})
	}
	if len(exported) == 0 {
		t.Fatal("found no type aliased from gen")
	}
	f, err := parser.ParseFile(fset, filepath.Join("gen", "client.gen.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || exported[ts.Name.Name] == "" {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return true
		}
		for _, field := range st.Fields.List {
			ast.Inspect(field.Type, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && id.Name == "openapi_types" {
					t.Errorf("%s.%s is typed from the generator's runtime package", exported[ts.Name.Name], field.Names[0].Name)
				}
				return true
			})
		}
		return true
	})
}
