package chartrender

import (
	"testing"

	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestNotesObjectsDecodesTheDocumentsAfterTheMarker(t *testing.T) {
	notes := "Installed.\nProvide exactly these objects:\n\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: c\n"
	objs, err := NotesObjects(notes, "Provide exactly these objects:", "ns1")
	require.NoError(t, err)
	require.Len(t, objs, 2)
	require.Equal(t, "ns1", objs[0].(*rbacv1.Role).Namespace)
	require.Equal(t, "", objs[1].(*rbacv1.ClusterRole).Namespace)
	_, err = NotesObjects("Installed.", "Provide exactly these objects:", "ns1")
	require.ErrorContains(t, err, "NOTES have no")
	_, err = NotesObjects(notes+"---\nkind: [\n", "Provide exactly these objects:", "ns1")
	require.Error(t, err)
}
